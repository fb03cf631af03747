"""Paper forms: enter responses from a CSV with the long export's columns, all or nothing.

Every row is checked against its instrument before anything is written; one bad row rejects the
whole file with every problem listed by line number. A good file is stored in one transaction,
scored like any answer given in a chat (Score rows carry instrument version and scoring revision),
with channel "paper". The same file (by content hash) cannot be imported twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clinic import audit
from bot.clinic.alerts.flags import flag_scores
from bot.db import store
from bot.db.database import session_scope
from bot.db.export_models import ImportBatch
from bot.db.models import ItemResponse, Patient, SurveyAssignment
from surveys.errors import InstrumentError
from surveys.loader import load_instrument
from surveys.model import Instrument, Item
from surveys.scoring import score

REQUIRED_COLUMNS = ("patient", "instrument", "item_id", "value", "answered_at")
CHANNEL = "paper"
PARSER_VERSION = "paper-1"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 200  # enough to fix a file; a wholly wrong file need not list 100 000 lines


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
    """The rows of one filled-in paper form: one survey assignment."""

    patient: Patient
    instrument: Instrument
    timepoint: str
    language: str
    rows: list[_Row] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    rows: int
    assignment_ids: tuple[int, ...]


def import_responses(db: Engine, path: Path, *, actor: str, now: datetime) -> ImportResult:
    """Validate every row of `path`, then store and score all of it in one transaction."""
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    with session_scope(db) as session:
        earlier = session.exec(select(ImportBatch).where(ImportBatch.sha256 == digest)).first()
        if earlier is not None:
            raise ImportFileError(
                f"{path.name}: this file was already imported (batch {earlier.id}, "
                f"{earlier.imported_at:%Y-%m-%d %H:%M} UTC, by {earlier.actor}); nothing imported"
            )
        forms = _parse(session, data, path.name, now)
        total = sum(len(f.rows) for f in forms.values())
        batch = ImportBatch(
            sha256=digest,
            file_name=path.name[:255],
            actor=actor,
            rows=total,
            forms=len(forms),
            imported_at=now,
        )
        session.add(batch)
        session.flush()
        assert batch.id is not None
        ids = tuple(_store_form(session, form, batch.id, now) for form in forms.values())
        audit.record(
            session,
            actor=actor,
            action="import.responses",
            object_type="import_batch",
            object_id=batch.id,
            detail={"file": path.name, "sha256": digest, "rows": total, "forms": len(forms)},
            now=now,
        )
        return ImportResult(batch_id=batch.id, rows=total, assignment_ids=ids)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path.name}: larger than {MAX_FILE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path.name}: cannot read: {exc.strerror}") from exc


def _parse(session: Session, data: bytes, name: str, now: datetime) -> dict[tuple[str, ...], _Form]:
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
    if missing:
        raise ImportFileError(
            f"{name}: line 1: missing column(s) {', '.join(missing)} "
            f"(the header must hold {', '.join(REQUIRED_COLUMNS)}, as in `pathbot export`)"
        )
    checker = _Checker(session, now)
    forms: dict[tuple[str, ...], _Form] = {}
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    problems: list[RowProblem] = []
    line = 1
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw or any(v is None for v in raw.values()):
                problems.append(RowProblem(line, "wrong number of fields"))
                continue
            try:
                key, form, row = checker.row(raw, line)
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
    return forms


class _Checker:
    """Checks one row against its patient and instrument, caching both."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.patients: dict[str, Patient | None] = {}
        self.instruments: dict[tuple[str, str], Instrument] = {}

    def row(self, raw: dict[str, str], line: int) -> tuple[tuple[str, ...], _Form, _Row]:
        cell = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        study_id = cell["patient"]
        if not study_id:
            raise ValueError("patient is empty")
        if study_id not in self.patients:
            self.patients[study_id] = store.patient_by_study_id(self.session, study_id)
        patient = self.patients[study_id]
        if patient is None:
            raise ValueError(f"no patient with study id {study_id!r}")
        instrument = self._instrument(cell["instrument"], cell.get("instrument_version", ""))
        item_id = cell["item_id"]
        try:
            item = instrument.item(item_id)
        except KeyError:
            raise ValueError(f"{instrument.id} has no item {item_id!r}") from None
        status = cell.get("status") or ("answered" if cell["value"] else "skipped")
        if status not in ("answered", "skipped"):
            raise ValueError(f"status {status!r} is not answered or skipped")
        value: int | None = None
        option_code: int | None = None
        if status == "answered":
            value, option_code = _value(item.id, cell["value"], cell.get("option_code", ""), item)
        elif cell["value"]:
            raise ValueError(f"{item_id} is marked skipped but has the value {cell['value']!r}")
        answered_at = _when(cell["answered_at"], patient.timezone)
        if answered_at > self.now:
            raise ValueError(f"answered_at {cell['answered_at']} is in the future")
        language = cell.get("language") or patient.locale
        if language not in instrument.translations:
            raise ValueError(f"{instrument.id} has no {language!r} version")
        timepoint = cell.get("timepoint") or "adhoc"
        if len(timepoint) > 32:
            raise ValueError("timepoint is longer than 32 characters")
        form_id = cell.get("assignment_id") or answered_at.date().isoformat()
        key = (study_id, instrument.id, instrument.version, timepoint, form_id)
        form = _Form(patient, instrument, timepoint, language)
        raw_text = cell.get("raw_text") or ("" if value is None else str(value))
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
    """The scored value (and the option code it came from) of an answered row."""
    values = sorted(o.value for o in item.options)
    if value_text:
        try:
            value = int(value_text)
        except ValueError:
            raise ValueError(f"{item_id}: value {value_text!r} is not a whole number") from None
        option = next((o for o in item.options if o.value == value), None)
        if option is None:
            raise ValueError(
                f"{item_id}: {value} is not one of its scored values "
                f"({', '.join(map(str, values))})"
            )
        return value, option.code
    if code_text:
        try:
            code = int(code_text)
        except ValueError:
            raise ValueError(
                f"{item_id}: option_code {code_text!r} is not a whole number"
            ) from None
        by_code = item.option_by_code(code)
        if by_code is None:
            raise ValueError(f"{item_id}: no option {code}")
        return by_code.value, code
    raise ValueError(f"{item_id}: answered but value is empty")


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


def _store_form(session: Session, form: _Form, batch_id: int, now: datetime) -> int:
    patient_id = form.patient.id
    assert patient_id is not None
    instrument = form.instrument
    started = min(r.answered_at for r in form.rows)
    completed = max(r.answered_at for r in form.rows)
    translation = instrument.translations[form.language]
    assignment = SurveyAssignment(
        patient_id=patient_id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        timepoint=form.timepoint,
        language=form.language,
        translation_status=translation.status,
        opens_at=started,
        due_at=completed,
        expires_at=completed,
        state="completed",
        started_at=started,
        completed_at=completed,
    )
    session.add(assignment)
    session.flush()
    assert assignment.id is not None
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
    flag_scores(
        session,
        patient_id=patient_id,
        assignment_id=assignment.id,
        instrument_id=instrument.id,
        completed_at=completed,
        scores=result.scores,
        now=now,
    )
    return assignment.id
