"""One paper form typed into the console: the planned survey it answers, and its answers as the
rows of a responses CSV, so the importer (paper_import.import_data) checks, matches, stores and
scores it exactly as it does an uploaded file. Nothing here decides what is valid.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.clinic.exports.csv_text import CsvWriter
from bot.db.models import Cohort, Event, Patient, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry
from surveys.loader import load_instrument
from surveys.model import Instrument

SKIPPED = "skipped"  # the form's choice for an item left blank on paper
COLUMNS = (
    "patient", "instrument", "instrument_version", "timepoint", "cohort", "assignment_id",
    "item_id", "option_code", "status", "answered_at", "language",
)  # fmt: skip


@dataclass(frozen=True)
class EntryTarget:
    assignment: SurveyAssignment
    patient: Patient
    cohort: Cohort | None  # None for an ad-hoc survey
    event: Event | None  # the session of a per-visit survey
    instrument: Instrument

    def default_day(self, today: date) -> date:
        """A visit form is answered at its session; other forms default to today."""
        if self.event is not None and self.cohort is not None:
            return self.event.starts_at.astimezone(ZoneInfo(self.cohort.timezone)).date()
        return today


def entry_target(session: Session, assignment_id: int) -> EntryTarget | None:
    found = session.exec(
        select(SurveyAssignment, Patient, Cohort, Event)
        .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
        .outerjoin(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .outerjoin(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .outerjoin(Cohort, col(Cohort.id) == col(SurveyPlanEntry.cohort_id))
        .outerjoin(Event, col(Event.id) == col(SurveyAssignment.event_id))
        .where(SurveyAssignment.id == assignment_id)
    ).first()
    if found is None:
        return None
    assignment, patient, cohort, event = found
    instrument = load_instrument(assignment.instrument_id, assignment.instrument_version)
    return EntryTarget(assignment, patient, cohort, event, instrument)


def form_csv(
    target: EntryTarget, answers: Mapping[str, str], answered_on: str, language: str
) -> bytes:
    """The form as the importer's CSV: one row per item, the option code the patient ticked
    (or status skipped). `answers` maps item id -> option code text or SKIPPED."""
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(COLUMNS)
    a = target.assignment
    for item in target.instrument.items:
        choice = answers.get(item.id, "")
        skipped = choice == SKIPPED
        writer.writerow(
            (
                target.patient.study_id,
                a.instrument_id,
                a.instrument_version,
                a.timepoint,
                target.cohort.name if target.cohort else "",
                a.id,
                item.id,
                "" if skipped else choice,
                SKIPPED if skipped else "answered",
                answered_on,
                language,
            )  # fmt: skip
        )
    return out.getvalue().encode("utf-8")
