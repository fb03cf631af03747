"""A pressed button in one transaction of Core statements (`Pipeline.handle_press`, issue 16): read
the chat's patient and state, store the press and its answer, save the state, queue the next
question; a press that may not answer (a stranger's, an older question's) stores nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session, select

from bot.conversation.messages import LANGUAGE_ITEM, ButtonPress, Inbound
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, InboundMessage, ItemResponse, OutboxMessage
from bot.service.app import App
from bot.service.chat_flows import receive_press
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock

PRESSES = iter(range(10_000))


def _address(app: App, patient_id: int) -> str:
    with Session(app.db) as s:
        identity = s.exec(
            select(ChannelIdentity).where(ChannelIdentity.patient_id == patient_id)
        ).one()
        return identity.address


def _press(app: App, address: str, item: str, code: int, survey: int | None) -> Inbound:
    return Inbound(
        channel="sms",
        address=address,
        provider_message_id=f"tg-cb-{next(PRESSES)}",
        text=str(code),
        received_at=app.pipeline.now(),
        button=ButtonPress(item, code, survey),
    )


def _count(app: App, model: type) -> int:
    with Session(app.db) as s:
        return len(s.exec(select(model)).all())


def _statements(app: App) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(app.db, "before_cursor_execute", note)
    return seen


def test_a_live_press_is_one_transaction_of_five_statements(db_url: str, clock: FakeClock) -> None:
    app = make_app(db_url, clock)
    patient = add_patient(app, "P001")
    survey = app.pipeline.start_survey(patient, "dvprs")
    address = _address(app, patient)
    seen = _statements(app)

    outcome = receive_press(app, _press(app, address, "dvprs_pain", 7, survey))

    assert (outcome.enrolled, outcome.live, outcome.stored, outcome.locale) == (
        True, True, True, "en",
    )  # fmt: skip
    assert outcome.result is not None and outcome.result.status == "processed"
    assert len(outcome.result.outbox_ids) == 1  # the next question
    # read patient and state, store the press, the answer, the state, the next question
    work = [s for s in seen if s not in ("BEGIN", "COMMIT")]
    assert work == ["SELECT", "INSERT", "INSERT", "UPDATE", "INSERT"]
    assert seen.count("BEGIN") <= 1  # (the PostgreSQL driver begins implicitly)
    with Session(app.db) as s:
        (answer,) = s.exec(select(ItemResponse)).all()
        assert (answer.item_id, answer.coded_value) == ("dvprs_pain", 7)
    app.db.dispose()


def test_a_press_on_an_older_question_or_from_a_stranger_stores_nothing(
    db_url: str, clock: FakeClock
) -> None:
    app = make_app(db_url, clock)
    patient = add_patient(app, "P001")
    survey = app.pipeline.start_survey(patient, "dvprs")
    address = _address(app, patient)
    assert receive_press(app, _press(app, address, "dvprs_pain", 7, survey)).stored
    before = (_count(app, InboundMessage), _count(app, ItemResponse), _count(app, OutboxMessage))

    stale = receive_press(app, _press(app, address, "dvprs_pain", 3, survey))
    stranger = receive_press(app, _press(app, "+15550000000", "dvprs_pain", 3, survey))

    assert (stale.enrolled, stale.live, stale.result, stale.stored) == (True, False, None, False)
    assert (stranger.enrolled, stranger.live, stranger.result) == (False, False, None)
    assert stranger.locale == app.settings.default_locale
    after = (_count(app, InboundMessage), _count(app, ItemResponse), _count(app, OutboxMessage))
    assert after == before
    app.db.dispose()


def test_the_same_press_delivered_twice_is_stored_once(db_url: str, clock: FakeClock) -> None:
    app = make_app(db_url, clock)
    patient = add_patient(app, "P001")
    survey = app.pipeline.start_survey(patient, "dvprs")
    press = _press(app, _address(app, patient), "dvprs_pain", 7, survey)
    first = receive_press(app, press)
    again = receive_press(app, press)  # the next question is open now: the old one is stale
    assert first.stored and not again.stored and again.result is None
    assert _count(app, ItemResponse) == 1
    app.db.dispose()


def test_the_language_menu_s_answer_is_the_language_returned(db_url: str, clock: FakeClock) -> None:
    app = make_app(db_url, clock)
    patient = add_patient(app, "P001")
    address = _address(app, patient)
    with session_scope(app.db) as s:  # as after enrolment: the menu is open
        state = store.load_state(s, patient)
        state.awaiting_language = True
        store.save_state(s, patient, state, clock())
    outcome = receive_press(app, _press(app, address, LANGUAGE_ITEM, 2, None))  # 2 = Español
    assert (outcome.live, outcome.stored, outcome.locale) == (True, False, "es")
    app.db.dispose()


def test_a_press_from_a_chat_marked_unreachable_makes_it_reachable(
    db_url: str, clock: FakeClock
) -> None:
    app = make_app(db_url, clock)
    patient = add_patient(app, "P001")
    survey = app.pipeline.start_survey(patient, "dvprs")
    address = _address(app, patient)
    with session_scope(app.db) as s:
        identity = s.exec(select(ChannelIdentity)).one()
        identity.status = "unreachable"
        s.add(identity)
    assert receive_press(app, _press(app, address, "dvprs_pain", 7, survey)).stored
    with Session(app.db) as s:
        assert s.exec(select(ChannelIdentity.status)).one() == "active"
    app.db.dispose()
