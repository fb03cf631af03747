"""FHIR R4 export: a Bundle with a Questionnaire per instrument, a QuestionnaireResponse per
completed assignment and an Observation per score.

Each resource is validated with the `fhir.resources` models before it is written. fhir.resources
8.x models FHIR R5 at its top level; its `fhir.resources.R4B` package is FHIR 4.3, whose
Questionnaire, QuestionnaireResponse, Observation and Bundle are the R4 resources unchanged for
everything written here. The Bundle is streamed, one entry at a time.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from sqlalchemy import Engine

from bot.clinic.exports.records import (
    AssignmentRecord,
    ExportFilter,
    instruments_present,
    iter_completed,
)
from bot.db.models import Score
from surveys.model import Instrument

STUDY_ID_SYSTEM = "urn:pathbot:study-id"
LOINC_SYSTEM = "http://loinc.org"
LOINC_FILE = Path(__file__).with_name("loinc.yaml")
ASSIGNMENT_SYSTEM = "urn:pathbot:assignment"
SCORE_SYSTEM = "urn:pathbot:score"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pathbot")
CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def questionnaire_url(instrument_id: str) -> str:
    return f"urn:pathbot:questionnaire:{instrument_id}"


def answer_system(instrument_id: str) -> str:
    return f"urn:pathbot:answer:{instrument_id}"


def full_url(kind: str, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The instrument as a FHIR Questionnaire (English text; answer codes are scored values)."""
    resource = Questionnaire.model_validate(
        {
            "resourceType": "Questionnaire",
            "url": questionnaire_url(instrument.id),
            "version": instrument.version,
            "name": instrument.id,
            "title": instrument.title.get("en", instrument.id),
            "status": "active",
            "copyright": instrument.copyright or None,
            "item": [
                {
                    "linkId": item.id,
                    "text": item.text.get("en", item.id),
                    "type": "choice",
                    "answerOption": [
                        {
                            "valueCoding": {
                                "system": answer_system(instrument.id),
                                "code": str(option.value),
                                "display": option.label.get("en", str(option.value)),
                            }
                        }
                        for option in item.options
                    ],
                }
                for item in instrument.items
            ],
        }
    )
    return resource.model_dump(mode="json", exclude_none=True)


def _subject(record: AssignmentRecord) -> dict[str, Any]:
    subject: dict[str, Any] = {"identifier": {"system": STUDY_ID_SYSTEM, "value": record.study_id}}
    if record.name:
        subject["display"] = record.name
    return subject


def questionnaire_response(record: AssignmentRecord, instrument: Instrument) -> dict[str, Any]:
    a = record.assignment
    items = []
    for item in instrument.items:
        value = record.answers.get(item.id)
        if value is None:
            continue  # skipped or not asked: no answer
        option = next((o for o in item.options if o.value == value), None)
        items.append(
            {
                "linkId": item.id,
                "text": item.text.get("en", item.id),
                "answer": [
                    {
                        "valueCoding": {
                            "system": answer_system(instrument.id),
                            "code": str(value),
                            "display": option.label.get("en") if option else None,
                        }
                    }
                ],
            }
        )
    resource = QuestionnaireResponse.model_validate(
        {
            "resourceType": "QuestionnaireResponse",
            "identifier": {"system": ASSIGNMENT_SYSTEM, "value": str(a.id)},
            "questionnaire": f"{questionnaire_url(a.instrument_id)}|{a.instrument_version}",
            "status": "completed",
            "subject": _subject(record),
            "authored": _instant(a.completed_at),
            "item": items or None,
        }
    )
    return resource.model_dump(mode="json", exclude_none=True)


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


def observation(record: AssignmentRecord, row: Score) -> dict[str, Any]:
    """One score as an Observation derived from the assignment's QuestionnaireResponse."""
    a = record.assignment
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [CATEGORY],
        "code": {
            "coding": [
                {
                    "system": SCORE_SYSTEM,
                    "code": f"{row.instrument_id}.{row.scale_id}",
                    "display": f"{row.instrument_id} {row.scale_id}",
                }
            ],
            "text": f"{row.instrument_id} {row.instrument_version} {row.scale_id} "
            f"(scoring revision {row.scoring_revision})",
        },
        "subject": _subject(record),
        "effectiveDateTime": _instant(a.completed_at),
        "derivedFrom": [{"reference": full_url("QuestionnaireResponse", str(a.id))}],
    }
    # The value's LOINC code (a T-score, else the raw score) beside the local one, where LOINC
    # has a code for it.
    body["code"]["coding"] += _loinc(row, "t" if row.t is not None else "raw")
    components: list[dict[str, Any]] = []
    if row.status != "complete":
        body["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ],
            "text": "incomplete: not enough items answered to score",
        }
    elif row.t is not None:
        body["valueQuantity"] = _quantity(row.t, "T-score")
        if row.se is not None:
            components.append(_component("se", _quantity(row.se, "T-score")))
        if row.raw is not None:
            raw = _component("raw", _quantity(row.raw, "{score}"))
            raw["code"]["coding"] += _loinc(row, "raw")
            components.append(raw)
    elif row.mean is not None:
        body["valueQuantity"] = _quantity(row.mean, "{score}")
    elif row.raw is not None:
        body["valueQuantity"] = _quantity(row.raw, "{score}")
    if row.band:
        body["interpretation"] = [{"text": row.band}]
    if row.descriptor:
        body["note"] = [{"text": row.descriptor}]
    if components:
        body["component"] = components
    return Observation.model_validate(body).model_dump(mode="json", exclude_none=True)


@functools.cache
def loinc_codes() -> dict[tuple[str, str, str], dict[str, str]]:
    """(instrument, scale, field) -> LOINC code and display, from loinc.yaml."""
    data = yaml.safe_load(LOINC_FILE.read_text(encoding="utf-8")) or {}
    return {
        (instrument, scale, field_name): {"code": str(c["code"]), "display": str(c["display"])}
        for instrument, scales in data.items()
        for scale, fields in scales.items()
        for field_name, c in fields.items()
    }


def _loinc(row: Score, field_name: str) -> list[dict[str, str]]:
    code = loinc_codes().get((row.instrument_id, row.scale_id, field_name))
    return [] if code is None else [{"system": LOINC_SYSTEM, **code}]


def _component(name: str, quantity: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"coding": [{"system": SCORE_SYSTEM, "code": name}]}, "valueQuantity": quantity}


def _instant(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def export_fhir(db: Engine, out: TextIO, flt: ExportFilter) -> int:
    """Stream a collection Bundle; returns the number of assignments."""
    head = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": datetime.now(UTC).isoformat(),
        }
    ).model_dump(mode="json", exclude_none=True)
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "entry": [')
    first = True

    def entry(url: str, resource: dict[str, Any]) -> None:
        nonlocal first
        out.write(
            ("\n" if first else ",\n")
            + json.dumps({"fullUrl": url, "resource": resource}, ensure_ascii=False)
        )
        first = False

    instruments: dict[tuple[str, str], Instrument] = {}
    for instrument in instruments_present(db, flt):
        instruments[(instrument.id, instrument.version)] = instrument
        entry(
            full_url("Questionnaire", f"{instrument.id}|{instrument.version}"),
            questionnaire(instrument),
        )
    count = 0
    for record in iter_completed(db, flt):
        a = record.assignment
        instrument = instruments[(a.instrument_id, a.instrument_version)]
        entry(
            full_url("QuestionnaireResponse", str(a.id)), questionnaire_response(record, instrument)
        )
        for scale_id, row in record.scores.items():
            entry(full_url("Observation", f"{a.id}/{scale_id}"), observation(record, row))
        count += 1
    out.write("\n]}\n")
    return count
