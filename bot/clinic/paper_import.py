"""Paper forms: enter responses from a CSV, all or nothing, into the plan they answer.

Every row is checked against its instrument, and every form against the plan, before anything is
written; one bad row or form rejects the whole file with every problem listed by line number. A
baseline, post, visit or follow-up form fulfils the matching planned survey (paper_plan.py) and
stops the bot asking for it in the same transaction; a second form for an answered survey is
refused unless the import replaces it (audited; the old answers are kept, marked superseded). A
form missing items is stored as partial. Forms are scored like any chat survey, with channel
"paper". The same forms cannot be imported twice: duplicates are found on the content (rows in
any order, any line endings), not on the file's bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from bot.clinic import audit
from bot.clinic.alerts.flags import flag_scores
from bot.clinic.paper_plan import NoMatch, Target, check_timepoint, find_target, withdraw
from bot.db import store
from bot.db.database import session_scope
from bot.db.export_models import ImportBatch
from bot.db.models import ItemResponse, Patient, Score, SurveyAssignment
from surveys.errors import InstrumentError
from surveys.loader import load_instrument
from surveys.model import Instrument, Item
from surveys.scoring import score

REQUIRED_COLUMNS = ("patient", "instrument", "item_id", "answered_at")
OPTIONAL_COLUMNS = (
    "instrument_version",
    "timepoint",
    "cohort",
    "assignment_id",
    "value",
    "option_code",
    "status",
    "raw_text",
    "language",
)
CHANNEL = "paper"
PARSER_VERSION = "paper-2"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 200  # enough to fix a file; a wholly wrong file need not list 100 000 lines
# A clinical flag from a form answered this long before it was entered is history, not news:
# staff see it, marked historical, but it is not raised as today's alert.
HISTORICAL_AFTER = timedelta(days=7)


class ImportFileError(Exception):
    """The file cannot be read as a responses CSV at all (encoding, header, CSV syntax)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(Exception):
    """Some rows are wrong; nothing was imported."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


@dataclass
class _Row:
    line: int
    item_id: str
    value: int | None
    option_code: int | None
    status: str
    raw_text: str
    answered_at: datetime


@dataclass
class _Form:
    """The rows of one filled-in paper form."""

    patient: Patient
    instrument: Instrument
    timepoint: str
    cohort: str | None
    language: str
    rows: list[_Row] = field(default_factory=list)
    target: Target | None = None

    @property
    def complete(self) -> bool:
        """Every item of the instrument has a row (answered or marked skipped)."""
        return {r.item_id for r in self.rows} >= set(self.instrument.item_ids)


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    rows: int
    assignment_ids: tuple[int, ...]
    fulfilled: int  # forms that answered a planned survey
    partial: int  # forms stored as partial (items missing)
    replaced: int


def import_responses(
    db: Engine, path: Path, *, actor: str, now: datetime, replace: bool = False
) -> ImportResult:
    """Validate every row and form of `path`, then store and score all of it in one transaction."""
    data = _read_bytes(path)
    with session_scope(db) as session:
        return import_data(session, data, path.name, actor=actor, now=now, replace=replace)


def import_data(
    session: Session, data: bytes, name: str, *, actor: str, now: datetime, replace: bool = False
) -> ImportResult:
    """`import_responses` in the caller's transaction, from bytes (the console's upload and its
    one-form entry); raises before writing anything when a row or form is wrong."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    forms, digest = _parse(session, data, name, now)
    earlier = session.exec(select(ImportBatch).where(ImportBatch.sha256 == digest)).first()
    if earlier is not None:
        raise ImportFileError(
            f"{name}: these forms were already imported (batch {earlier.id}, "
            f"{earlier.imported_at:%Y-%m-%d %H:%M} UTC, by {earlier.actor}); nothing imported"
        )
    _match(session, forms, now, replace=replace)
    total = sum(len(f.rows) for f in forms.values())
    batch = ImportBatch(
        sha256=digest,
        file_name=name[:255],
        actor=actor,
        rows=total,
        forms=len(forms),
        imported_at=now,
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    ids = tuple(_store_form(session, form, batch.id, actor, now) for form in forms.values())
    targets = [f.target for f in forms.values() if f.target is not None]
    result = ImportResult(
        batch_id=batch.id,
        rows=total,
        assignment_ids=ids,
        fulfilled=sum(1 for t in targets if t.assignment is not None),
        partial=sum(1 for f in forms.values() if not f.complete),
        replaced=sum(1 for t in targets if t.replaces),
    )
    audit.record(
        session,
        actor=actor,
        action="import.responses",
        object_type="import_batch",
        object_id=batch.id,
        detail={
            "file": name,
            "sha256": digest,
            "rows": total,
            "forms": len(forms),
            "fulfilled": result.fulfilled,
            "partial": result.partial,
            "replaced": result.replaced,
        },
        now=now,
    )
    return result


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path.name}: larger than {MAX_FILE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path.name}: cannot read: {exc.strerror}") from exc


def _parse(
    session: Session, data: bytes, name: str, now: datetime
) -> tuple[dict[tuple[str, ...], _Form], str]:
    """The forms of the file, and the digest of its content (for the duplicate check)."""
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{name}: not UTF-8 text (byte {exc.start}); save the file as CSV UTF-8"
        ) from exc
    if "\x00" in text:
        raise ImportFileError(f"{name}: contains NUL bytes; this is not a CSV text file")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise ImportFileError(f"{name}: line 1: not a readable CSV header: {exc}") from exc
    if not header:
        raise ImportFileError(f"{name}: the file is empty (expected a header line)")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if "value" not in header and "option_code" not in header:
        missing.append("value (or option_code)")
    if missing:
        raise ImportFileError(
            f"{name}: line 1: missing column(s) {', '.join(missing)} "
            f"(the header must hold {', '.join(REQUIRED_COLUMNS)} and value; "
            "`pathbot import template INSTRUMENT` prints one)"
        )
    checker = _Checker(session, now)
    forms: dict[tuple[str, ...], _Form] = {}
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    problems: list[RowProblem] = []
    canonical: list[tuple[str, ...]] = []
    line = 1
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw or any(v is None for v in raw.values()):
                problems.append(RowProblem(line, "wrong number of fields"))
                continue
            cells = {k: (raw.get(k) or "").strip() for k in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
            canonical.append(tuple(cells[k] for k in sorted(cells)))
            try:
                key, form, row = checker.row(cells, line)
            except ValueError as exc:
                problems.append(RowProblem(line, str(exc)))
                continue
            previous = seen.get((key, row.item_id))
            if previous is not None:
                problems.append(
                    RowProblem(line, f"{row.item_id} answered twice on one form (line {previous})")
                )
                continue
            seen[(key, row.item_id)] = line
            forms.setdefault(key, form).rows.append(row)
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        raise ImportFileError(f"{name}: line {reader.line_num}: broken CSV: {exc}") from exc
    if problems:
        raise ImportRejected(problems)
    if not forms:
        raise ImportFileError(f"{name}: no data rows after the header")
    digest = hashlib.sha256(json.dumps(sorted(canonical)).encode("utf-8")).hexdigest()
    return forms, digest


def _match(
    session: Session, forms: dict[tuple[str, ...], _Form], now: datetime, *, replace: bool
) -> None:
    """Find the planned survey each form fulfils; one problem per form that fits none."""
    problems: list[RowProblem] = []
    claimed: dict[int, int] = {}
    for form in forms.values():
        first = min(r.line for r in form.rows)
        try:
            form.target = find_target(
                session,
                form.patient,
                form.instrument.id,
                form.timepoint,
                form.cohort,
                min(r.answered_at for r in form.rows),
                replace=replace,
            )
        except NoMatch as exc:
            problems.append(RowProblem(first, str(exc)))
            continue
        assignment = form.target.assignment
        if assignment is not None and assignment.id is not None:
            if assignment.id in claimed:
                problems.append(
                    RowProblem(
                        first, f"a second form for the same survey (first at line "
                        f"{claimed[assignment.id]})"
                    )
                )  # fmt: skip
            claimed.setdefault(assignment.id, first)
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line))


class _Checker:
    """Checks one row against its patient and instrument, caching both."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.patients: dict[str, Patient | None] = {}
        self.instruments: dict[tuple[str, str], Instrument] = {}

    def row(self, cell: dict[str, str], line: int) -> tuple[tuple[str, ...], _Form, _Row]:
        study_id = cell["patient"]
        if not study_id:
            raise ValueError("patient is empty")
        if study_id not in self.patients:
            self.patients[study_id] = store.patient_by_study_id(self.session, study_id)
        patient = self.patients[study_id]
        if patient is None:
            raise ValueError(f"no patient with study id {study_id!r}")
        instrument = self._instrument(cell["instrument"], cell["instrument_version"])
        item_id = cell["item_id"]
        try:
            item = instrument.item(item_id)
        except KeyError:
            raise ValueError(f"{instrument.id} has no item {item_id!r}") from None
        answered = bool(cell["value"] or cell["option_code"])
        status = cell["status"] or ("answered" if answered else "skipped")
        if status not in ("answered", "skipped"):
            raise ValueError(f"status {status!r} is not answered or skipped")
        value: int | None = None
        option_code: int | None = None
        if status == "answered":
            value, option_code = _value(item.id, cell["value"], cell["option_code"], item)
        elif answered:
            raise ValueError(f"{item_id} is marked skipped but has an answer")
        answered_at = _when(cell["answered_at"], patient.timezone)
        if answered_at > self.now:
            raise ValueError(f"answered_at {cell['answered_at']} is in the future")
        language = cell["language"] or patient.locale
        if language not in instrument.translations:
            raise ValueError(f"{instrument.id} has no {language!r} version")
        timepoint = check_timepoint(cell["timepoint"])
        cohort = cell["cohort"] or None
        form_id = cell["assignment_id"] or answered_at.date().isoformat()
        key = (study_id, instrument.id, instrument.version, timepoint, cohort or "", form_id)
        form = _Form(patient, instrument, timepoint, cohort, language)
        raw_text = cell["raw_text"] or ("" if value is None else str(value))
        return key, form, _Row(line, item_id, value, option_code, status, raw_text, answered_at)

    def _instrument(self, instrument_id: str, version: str) -> Instrument:
        key = (instrument_id, version)
        if key not in self.instruments:
            try:
                self.instruments[key] = load_instrument(instrument_id, version or None)
            except InstrumentError as exc:
                raise ValueError(str(exc)) from None
        return self.instruments[key]


def _value(item_id: str, value_text: str, code_text: str, item: Item) -> tuple[int, int | None]:
    """The scored value (and the option code) of an answered row; the two must agree."""
    values = sorted(o.value for o in item.options)
    by_code = None
    if code_text:
        try:
            code = int(code_text)
        except ValueError:
            raise ValueError(
                f"{item_id}: option_code {code_text!r} is not a whole number"
            ) from None
        by_code = item.option_by_code(code)
        if by_code is None:
            raise ValueError(f"{item_id}: no option_code {code}")
    if not value_text:
        assert by_code is not None
        return by_code.value, by_code.code
    try:
        value = int(value_text)
    except ValueError:
        raise ValueError(f"{item_id}: value {value_text!r} is not a whole number") from None
    option = next((o for o in item.options if o.value == value), None)
    if option is None:
        raise ValueError(
            f"{item_id}: {value} is not one of its scored values ({', '.join(map(str, values))})"
        )
    if by_code is not None and by_code.value != value:
        raise ValueError(
            f"{item_id}: option_code {by_code.code} is scored {by_code.value}, but value is "
            f"{value}: the two disagree (an entry error, e.g. a reverse-keyed item); "
            "correct one of them"
        )
    return value, option.code


def _when(text: str, timezone: str) -> datetime:
    """ISO 8601 date or date-time; without an offset it is the patient's local time."""
    if not text:
        raise ValueError("answered_at is empty")
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time(12, 0))
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"answered_at {text!r} is not an ISO date or date-time (e.g. 2026-11-02 or "
            "2026-11-02T14:30:00-05:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed


def _store_form(session: Session, form: _Form, batch_id: int, actor: str, now: datetime) -> int:
    patient_id = form.patient.id
    assert patient_id is not None and form.target is not None
    instrument = form.instrument
    started = min(r.answered_at for r in form.rows)
    completed = max(r.answered_at for r in form.rows)
    translation = instrument.translations[form.language]
    assignment = form.target.assignment
    if assignment is None:  # ad hoc: a new survey of its own
        assignment = SurveyAssignment(
            patient_id=patient_id,
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            timepoint=form.timepoint,
            language=form.language,
            opens_at=started,
            due_at=completed,
            expires_at=completed,
        )
    else:
        # Answers already given by text (a survey half done in the chat) or on an earlier form
        # are kept, marked superseded: the paper form is now the answer.
        _supersede_answers(session, assignment, now)
        if form.target.replaces:
            _replace_scores(session, assignment, actor, now)
    assignment.instrument_version = instrument.version
    assignment.language = form.language
    assignment.translation_status = translation.status
    assignment.state = "completed" if form.complete else "partial"
    assignment.started_at = started
    assignment.completed_at = completed
    session.add(assignment)
    session.flush()
    assert assignment.id is not None
    if form.target.assignment is not None:
        withdraw(session, assignment, now)
    for row in form.rows:
        session.add(
            ItemResponse(
                assignment_id=assignment.id,
                patient_id=patient_id,
                instrument_id=instrument.id,
                item_id=row.item_id,
                raw_text=row.raw_text,
                option_code=row.option_code,
                coded_value=row.value,
                status=row.status,
                parser_version=PARSER_VERSION,
                language=form.language,
                channel=CHANNEL,
                provider_message_id=f"paper:{batch_id}:{row.line}",
                answered_at=row.answered_at,
            )
        )
    result = score(instrument, {r.item_id: r.value for r in form.rows})
    store.save_scores(
        session, assignment_id=assignment.id, patient_id=patient_id, result=result, now=now
    )
    alert = flag_scores(
        session,
        patient_id=patient_id,
        assignment_id=assignment.id,
        instrument_id=instrument.id,
        completed_at=completed,
        scores=result.scores,
        now=now,
    )
    if alert is not None and completed < now - HISTORICAL_AFTER:
        alert.status = "historical"  # seen by staff in the record, not raised as news
        session.add(alert)
    return assignment.id


def _supersede_answers(session: Session, assignment: SurveyAssignment, now: datetime) -> None:
    for response in session.exec(
        select(ItemResponse).where(
            ItemResponse.assignment_id == assignment.id, col(ItemResponse.superseded_at).is_(None)
        )
    ):
        response.superseded_at = now
        session.add(response)


def _replace_scores(
    session: Session, assignment: SurveyAssignment, actor: str, now: datetime
) -> None:
    """Drop the scores of the replaced form (its answers stay, superseded), audited."""
    old_scores = {
        s.scale_id: s.t if s.t is not None else s.mean if s.mean is not None else s.raw
        for s in session.exec(select(Score).where(Score.assignment_id == assignment.id))
    }
    session.exec(delete(Score).where(col(Score.assignment_id) == assignment.id))
    audit.record(
        session,
        actor=actor,
        action="import.replace",
        object_type="survey_assignment",
        object_id=assignment.id,
        detail={
            "previous_state": assignment.state,
            "previous_completed_at": assignment.completed_at.isoformat()
            if assignment.completed_at
            else None,
            "previous_scores": old_scores,
        },
        now=now,
    )
