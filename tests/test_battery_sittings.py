"""Issue 14, point 7: a long battery in sittings of at most about 15 items, answered in 72 hours.

End to end through the real scheduler pass, pipeline, engine and store (SQLite and PostgreSQL):
the battery is offered in sittings, a break or NEXT/RESUME brings the next one, the instrument
cut between two sittings is scored once, whole, and a window that lapses with instruments
unfinished asks those again, in a new window, with staff told.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlmodel import Session, col, select

from bot.clinic.alerts import manage
from bot.clinic.exports.csv_long import export_responses_csv
from bot.clinic.exports.csv_wide import export_wide_csv
from bot.clinic.exports.records import ExportFilter
from bot.clinic.report.cohort import build_report
from bot.conversation.messages import Inbound
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import (
    Alert,
    ChannelIdentity,
    ItemResponse,
    OutboxMessage,
    Patient,
    Score,
    SurveyAssignment,
)
from bot.db.schedule_models import BatteryProgress, SurveyPlanEntry
from bot.schedule import cohorts
from bot.schedule.battery import DEFAULT_BATTERY, split_battery
from bot.schedule.due import materialise_due_work
from bot.schedule.plan import PlanOptions
from bot.service.app import App
from surveys.loader import load_instrument
from surveys.scoring import score
from tests.plan_support import answer_planned, enrol, make_cohort, planned_assignment
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock

OPENS = datetime(2026, 11, 3, 19, 0, tzinfo=UTC)  # 14:00 New York, a week before session 1
START = date(2026, 11, 10)
_ids = count()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    built = make_app(db_url, clock)
    add_patient(built, "B-001")
    make_cohort(built, "FALL", START, alumni_months=(3,), now=clock())
    enrol(built, "FALL", ["B-001"], now=clock())
    yield built
    built.db.dispose()


# ---- the split -------------------------------------------------------------------------------


def test_every_planned_battery_is_split_within_about_15_items(sqlite_url: str) -> None:
    app = make_app(sqlite_url, FakeClock(datetime(2026, 11, 2, tzinfo=UTC)))
    make_cohort(app, "FALL", START, alumni_months=(3, 6))
    with Session(app.db) as s:
        entries = s.exec(select(SurveyPlanEntry)).all()
    sizes: dict[tuple[str, int], int] = defaultdict(int)
    asked: dict[tuple[str, str], list[str]] = defaultdict(list)
    sitting_of: dict[tuple[str, str], int] = {}
    for e in entries:
        items = e.item_ids or list(load_instrument(e.instrument_id).item_ids)
        sizes[(e.timepoint, e.sitting)] += len(items)
        asked[(e.timepoint, e.instrument_id)] += items
        for item in items:
            sitting_of[(e.timepoint, item)] = e.sitting
    timepoints = {tp for tp, _ in sizes}
    assert timepoints == {"baseline", "post", "visit", "alumni_3m", "alumni_6m"}
    assert max(sizes.values()) <= 16, dict(sizes)
    assert [sizes[("baseline", n)] for n in (1, 2, 3, 4)] == [16, 13, 14, 12]
    assert [sizes[("post", n)] for n in (1, 2, 3, 4)] == [16, 13, 14, 12]
    assert [sizes[("alumni_3m", n)] for n in (1, 2)] == [16, 13]
    for (_tp, instrument_id), items in asked.items():  # every item asked once, in order
        assert items == list(load_instrument(instrument_id).item_ids)
    for tp in timepoints:  # no scale is ever cut between two sittings
        for (tp2, instrument_id), _items in asked.items():
            if tp2 != tp:
                continue
            for scale in load_instrument(instrument_id).scales:
                assert len({sitting_of[(tp, i)] for i in scale.items}) <= 1, (tp, scale.id)


def test_a_strict_15_would_cost_a_fifth_sitting() -> None:
    """The documented choice (bot/schedule/battery.py): 16 = four PROMIS domains."""
    sizes = [
        sum(len(p.item_ids or load_instrument(p.instrument_id).item_ids) for p in sitting)
        for sitting in split_battery(DEFAULT_BATTERY, load_instrument, 15)
    ]
    assert sizes == [12, 12, 13, 6, 12]


def test_an_instrument_with_no_cut_between_scales_is_cut_only_when_unavoidable() -> None:
    sittings = split_battery(("cpaq8", "brs"), load_instrument, 8)
    assert [[(p.instrument_id, p.item_ids) for p in s] for s in sittings] == [
        [("cpaq8", None)],
        [("brs", None)],
    ]
    forced = split_battery(("cpaq8",), load_instrument, 5)
    assert [len(s[0].item_ids or ()) for s in forced] == [4, 4]


# ---- helpers ---------------------------------------------------------------------------------


def _tick(app: App) -> None:
    materialise_due_work(app.due_work_setup(), app.pipeline.now())


def _say(app: App, text: str) -> list[str]:
    with Session(app.db) as s:
        address = s.exec(
            select(ChannelIdentity.address)
            .join(Patient, col(Patient.id) == col(ChannelIdentity.patient_id))
            .where(Patient.study_id == "B-001")
        ).one()
    result = app.pipeline.handle(
        Inbound("sms", address, f"m{next(_ids)}", text, app.pipeline.now())
    )
    with Session(app.db) as s:
        rows = s.exec(
            select(OutboxMessage).where(col(OutboxMessage.id).in_(result.outbox_ids))
        ).all()
    return [r.body for r in sorted(rows, key=lambda r: r.id or 0)]


def _state(app: App):  # type: ignore[no-untyped-def]
    with Session(app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == "B-001")).one()
        return store.load_state(s, patient.id or 0, for_update=False)


def _answer_current(app: App, given: dict[str, dict[str, int | None]]) -> list[str]:
    """Reply to the question open now with its second option; remember the scored value."""
    survey = _state(app).survey
    assert survey is not None
    item = load_instrument(survey.instrument_id).items[survey.position]
    option = item.options[1]
    given[survey.instrument_id][item.id] = option.value
    return _say(app, str(option.code))


def _answer(app: App, n: int, given: dict[str, dict[str, int | None]]) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        out = _answer_current(app, given)
    return out


def _outbox_since(app: App, after: int) -> list[str]:
    with Session(app.db) as s:
        rows = s.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.id) > after)
            .order_by(col(OutboxMessage.id))
        ).all()
    return [r.body for r in rows]


def _last_outbox_id(app: App) -> int:
    with Session(app.db) as s:
        ids = s.exec(select(OutboxMessage.id)).all()
    return max((i or 0 for i in ids), default=0)


def _assignment(app: App, instrument: str) -> SurveyAssignment:
    with Session(app.db) as s:
        return planned_assignment(s, "B-001", "FALL", instrument, "baseline")


# ---- end to end ------------------------------------------------------------------------------


def test_battery_in_four_sittings_end_to_end(app: App, clock: FakeClock) -> None:
    given: dict[str, dict[str, int | None]] = defaultdict(dict)
    clock.now = OPENS
    _tick(app)
    state = _state(app)
    assert state.survey is not None and state.survey.instrument_id == "promis29"
    assert state.survey.item_ids is not None and len(state.survey.item_ids) == 16
    assert any("Part 1 of 4." in body for body in _outbox_since(app, 0))

    out = _answer(app, 16, given)  # sitting 1: four PROMIS domains
    assert out[-1] == (
        "That was part 1 of 4. Part 2 comes today at 4:00\u202fPM. Reply NEXT to start it now."
    )
    promis = _assignment(app, "promis29")
    assert promis.state == "in_progress"
    with Session(app.db) as s:
        assert s.exec(select(Score).where(Score.assignment_id == promis.id)).all() == []
    assert _state(app).survey is None
    # other words between sittings: told how to go on, nothing is started or lost
    assert _say(app, "ok") == [
        "The next part of your questions comes later. Reply NEXT to start it now."
    ]

    clock.advance(hours=1)
    _tick(app)
    assert _state(app).survey is None  # the break is not over
    clock.advance(hours=1)
    before = _last_outbox_id(app)
    _tick(app)  # the break is over: part 2 comes by itself
    assert any("Part 2 of 4." in body for body in _outbox_since(app, before))
    survey = _state(app).survey
    assert survey is not None and survey.instrument_id == "promis29"
    assert load_instrument("promis29").items[survey.position].id == "Sleep109"
    back = _say(app, "BACK")  # BACK stops at the sitting's first question
    assert "This is the first question." in back

    out = _answer(app, 13, given)
    assert "Part 3 comes" in out[-1]
    assert _assignment(app, "promis29").state == "completed"

    out = _say(app, "NEXT")  # sitting 3 now, not in two hours
    assert any("Part 3 of 4." in body for body in out)
    _answer(app, 8 + 6, given)
    assert _assignment(app, "cpaq8").state == "completed"
    assert _assignment(app, "brs").state == "completed"

    out = _say(app, "RESUME")  # the word the nudges ask for also brings the next sitting
    assert any("Part 4 of 4." in body for body in out)
    out = _answer(app, 12, given)
    assert not any("part" in body.lower() for body in out)  # the last sitting: just thanks
    state = _state(app)
    assert state.survey is None and state.queue == [] and state.held_battery is None

    with Session(app.db) as s:
        for instrument_id in ("promis29", "cpaq8", "brs", "scs_sf"):
            assignment = planned_assignment(s, "B-001", "FALL", instrument_id, "baseline")
            assert assignment.state == "completed"
            stored = {
                row.scale_id: (row.status, row.raw, row.t, row.mean)
                for row in s.exec(select(Score).where(Score.assignment_id == assignment.id))
            }
            # scored once, whole: exactly what scoring the same answers in one go gives
            expected = score(load_instrument(instrument_id), given[instrument_id]).scores
            assert stored == {k: (v.status, v.raw, v.t, v.mean) for k, v in expected.items()}, (
                instrument_id
            )
        superseded = select(ItemResponse).where(col(ItemResponse.superseded_at).is_not(None))
        assert s.exec(superseded).all() == []
    # the long export holds one row per item, 55 in all, with the values given
    buffer = io.StringIO()
    export_responses_csv(app.db, buffer)
    rows = [
        r for r in csv.DictReader(io.StringIO(buffer.getvalue())) if r["timepoint"] == "baseline"
    ]
    assert len(rows) == 55
    exported = {(r["instrument"], r["item_id"]): r["value"] for r in rows}
    assert exported == {
        (i, item): str(v) for i, answers in given.items() for item, v in answers.items()
    }


def test_exports_and_report_are_the_same_for_a_battery_answered_in_sittings(
    app: App, clock: FakeClock
) -> None:
    """B-001 answers in four sittings through the bot; B-002 gives the same answers in one go."""
    add_patient(app, "B-002")
    enrol(app, "FALL", ["B-002"], now=clock())
    given: dict[str, dict[str, int | None]] = defaultdict(dict)
    clock.now = OPENS
    _tick(app)
    _answer(app, 16, given)
    for rest in (13, 8 + 6, 12):
        _say(app, "NEXT")
        _answer(app, rest, given)
    for instrument_id, answers in given.items():
        answer_planned(app, "B-002", "FALL", instrument_id, "baseline", answers, when=clock())
    last_session = datetime(2027, 2, 2, 19, 0, tzinfo=UTC)
    for study_id in ("B-001", "B-002"):  # the same post for both, so the report pairs them
        for instrument_id in DEFAULT_BATTERY:
            answers = {i: 3 for i in load_instrument(instrument_id).item_ids}
            answer_planned(app, study_id, "FALL", instrument_id, "post", answers, when=last_session)

    def wide(study_id: str) -> list[dict[str, str]]:
        buffer = io.StringIO()
        export_wide_csv(app.db, buffer, ExportFilter(patients=(study_id,)))
        rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
        skip = {"patient", "assignment_id", "completed_at", "channel"}
        return sorted(
            ({k: v for k, v in r.items() if k not in skip} for r in rows),
            key=lambda r: (r["timepoint"], r["instrument"]),
        )

    in_sittings, in_one_go = wide("B-001"), wide("B-002")
    assert len(in_sittings) == 8 and in_sittings == in_one_go
    report = build_report(app.db, "FALL", now=last_session + timedelta(days=10))
    measured = {r.measure.instrument for r in report.measures}
    assert measured == set(DEFAULT_BATTERY), measured
    for result in report.measures:
        pairs = {p.study_id: (p.baseline, p.post) for p in result.pairs}
        assert set(pairs) == {"B-001", "B-002"}, result.measure
        assert pairs["B-001"] == pairs["B-002"], result.measure


def test_a_lapsed_window_asks_unfinished_instruments_again(app: App, clock: FakeClock) -> None:
    given: dict[str, dict[str, int | None]] = defaultdict(dict)
    clock.now = OPENS
    _tick(app)
    first_answer = clock.now
    _answer(app, 16, given)
    _say(app, "NEXT")
    _answer(app, 13, given)  # PROMIS-29 finished inside the window
    _say(app, "NEXT")
    _answer(app, 8, given)  # CPAQ-8 too
    _answer(app, 3, given)  # BRS half done: then nothing for three days

    clock.now = first_answer + timedelta(hours=71, minutes=59)
    _tick(app)
    with Session(app.db) as s:
        assert s.exec(select(Alert).where(Alert.kind == "battery_reoffered")).all() == []
    clock.now = first_answer + timedelta(hours=72)
    before = _last_outbox_id(app)
    _tick(app)
    sent = _outbox_since(app, before)
    assert sent[0].startswith("It has been more than 3 days since you started these questions.")
    assert any("Part 1 of 2." in body for body in sent)  # BRS, then SCS-SF
    state = _state(app)
    assert state.survey is not None and state.survey.instrument_id == "brs"
    assert state.survey.position == 0 and state.survey.answers == {}

    with Session(app.db) as s:
        alert = s.exec(select(Alert).where(Alert.kind == "battery_reoffered")).one()
        # staff see it in their open alerts (console and `pathbot alerts list`)
        listed = manage.list_alerts(s, study_id="B-001")
        assert [(a.id, a.kind) for a in listed if a.kind == "battery_reoffered"] == [
            (alert.id, "battery_reoffered")
        ]
        brs = planned_assignment(s, "B-001", "FALL", "brs", "baseline")
        old = s.exec(select(ItemResponse).where(ItemResponse.assignment_id == brs.id)).all()
        assert len(old) == 3 and all(r.superseded_at == clock.now for r in old)
        promis = planned_assignment(s, "B-001", "FALL", "promis29", "baseline")
        kept = s.exec(
            select(ItemResponse).where(
                ItemResponse.assignment_id == promis.id, col(ItemResponse.superseded_at).is_(None)
            )
        ).all()
        assert len(kept) == 29  # finished inside its window: kept, with its scores
        progress = s.exec(select(BatteryProgress)).one()
        assert (progress.reoffers, progress.window_from) == (1, clock.now)

    given["brs"] = {}
    clock.advance(minutes=5)
    _answer(app, 6, given)
    _say(app, "NEXT")
    _answer(app, 12, given)
    with Session(app.db) as s:
        brs = planned_assignment(s, "B-001", "FALL", "brs", "baseline")
        assert brs.state == "completed"
        live = s.exec(
            select(ItemResponse).where(
                ItemResponse.assignment_id == brs.id, col(ItemResponse.superseded_at).is_(None)
            )
        ).all()
        assert len(live) == 6 and all(
            r.answered_at > first_answer + timedelta(hours=72) for r in live
        )
        mean = s.exec(
            select(Score.mean).where(Score.assignment_id == brs.id, Score.scale_id == "resilience")
        ).one()
        assert mean == score(load_instrument("brs"), given["brs"]).scores["resilience"].mean


def test_a_lapse_inside_promis_asks_all_of_promis_again(app: App, clock: FakeClock) -> None:
    """PROMIS-29's summary scores use every domain: no domain from an older window."""
    given: dict[str, dict[str, int | None]] = defaultdict(dict)
    clock.now = OPENS
    _tick(app)
    _answer(app, 16, given)  # sitting 1 only
    clock.now = OPENS + timedelta(hours=72, minutes=1)
    _tick(app)
    state = _state(app)
    assert state.survey is not None and state.survey.instrument_id == "promis29"
    assert state.survey.position == 0 and state.survey.answers == {}
    assert state.survey.sittings == 4 and state.held_battery is None
    with Session(app.db) as s:
        promis = planned_assignment(s, "B-001", "FALL", "promis29", "baseline")
        live = s.exec(
            select(ItemResponse).where(
                ItemResponse.assignment_id == promis.id, col(ItemResponse.superseded_at).is_(None)
            )
        ).all()
        assert live == []
        assert s.exec(select(Score).where(Score.assignment_id == promis.id)).all() == []


def test_sittings_in_spanish(sqlite_url: str, clock: FakeClock) -> None:
    """A clinic's own battery (instruments with Spanish wording), cut at 5 items a sitting."""
    app = make_app(sqlite_url, clock)
    add_patient(app, "B-001", locale="es")
    with session_scope(app.db) as s:
        cohorts.create_cohort(
            s, name="OTOÑO", start_date=START, timezone="America/New_York",
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"), now=clock(),
            survey_plan=PlanOptions(battery=("dvprs", "satisfaction"), max_sitting_items=5),
        )  # fmt: skip
    enrol(app, "OTOÑO", ["B-001"], now=clock())
    given: dict[str, dict[str, int | None]] = defaultdict(dict)
    clock.now = OPENS
    _tick(app)
    assert any("Parte 1 de 2." in body for body in _outbox_since(app, 0))
    out = _answer(app, 5, given)
    assert out[-1] == (
        "Esa fue la parte 1 de 2. La parte 2 llegará hoy a las 16:00. "
        "Responda SIGUIENTE para empezarla ahora."
    )
    assert _say(app, "hola") == [
        "La siguiente parte de sus preguntas llegará más tarde. "
        "Responda SIGUIENTE para empezarla ahora."
    ]
    out = _say(app, "siguiente")
    assert any("Parte 2 de 2." in body for body in out)
    app.db.dispose()
