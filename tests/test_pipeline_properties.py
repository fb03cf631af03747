"""Property tests: no inbound text crashes the pipeline or loses a stored answer."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.conversation.messages import Inbound
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ItemResponse
from bot.service.app import App, build_app
from bot.service.settings import Settings
from surveys.loader import load_instrument
from tests.support import FakeClock

MEANINGFUL = st.sampled_from(
    [
        "3",
        "7",
        "11",
        "3-4",
        "2.5",
        "three",
        "tres",
        "٣",
        "3️⃣",
        "SKIP",
        "BACK",
        "PAUSE",
        "RESUME",
        "HELP",
        "LANGUAGE",
        "2",
        "STOP",
        "START",
        "me quiero morir",
        "",
        " ",
        "🔟",
    ]
)
TEXTS = st.lists(st.one_of(MEANINGFUL, st.text(max_size=300)), min_size=1, max_size=25)
_ids = itertools.count()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    path: Path = tmp_path_factory.mktemp("prop") / "p.db"
    built = build_app(
        Settings(_env_file=None),
        database_url=f"sqlite:///{path}",  # type: ignore[call-arg]
        clock=FakeClock(),
    )
    yield built  # type: ignore[misc]
    built.db.dispose()


def _snapshot(app: App, patient_id: int) -> dict[int, tuple[str, int | None, str]]:
    with Session(app.db) as s:
        rows = s.exec(select(ItemResponse).where(ItemResponse.patient_id == patient_id)).all()
        return {r.id: (r.item_id, r.coded_value, r.raw_text) for r in rows if r.id is not None}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=TEXTS, instrument=st.sampled_from(["dvprs", "promis29", "cpaq8"]))
def test_any_text_is_handled_and_no_answer_is_lost(
    app: App, texts: list[str], instrument: str
) -> None:
    n = next(_ids)
    with session_scope(app.db) as s:
        patient = store.add_patient(s, study_id=f"P{n}", now=FakeClock()(), locale="en")
        store.bind_channel(
            s,
            patient=patient,
            channel="console",
            address=f"a{n}",
            consent_text_version="t",
            method="console",
            now=FakeClock()(),
        )
        assert patient.id is not None
        patient_id = patient.id
    app.pipeline.start_survey(patient_id, instrument)
    values = {
        item.id: {o.value for o in item.options} for item in load_instrument(instrument).items
    }
    before: dict[int, tuple[str, int | None, str]] = {}
    for index, text in enumerate(texts):
        result = app.pipeline.handle(
            Inbound("console", f"a{n}", f"{n}-{index}", text, FakeClock()())
        )
        assert result.status == "processed"
        after = _snapshot(app, patient_id)
        # every answer stored before is still there, unchanged
        assert all(after.get(k) == v for k, v in before.items())
        for item_id, value, _raw in after.values():
            assert value is None or value in values[item_id]
        before = after
