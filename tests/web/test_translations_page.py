"""The Translations page (issue 18 point 8): the coverage matrix and the bot wording's status,
the same data as `pathbot translations`, for every role; packs show as "pack"."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.conversation import language_status
from bot.conversation.coverage import coverage_matrix
from surveys.loader import clear_cache
from surveys.packs import PACKS_DIR_ENV
from tests.packs.make_fake_packs import BATTERY, HERE
from tests.web.support import ROLES, ConsoleHarness


def _cells(html: str, instrument: str) -> list[str]:
    """The status words of one instrument's row, in column order."""
    row = re.search(rf'<th scope="row">{instrument} <span.*?</tr>', html, re.S)
    assert row, f"no row for {instrument}"
    return re.findall(r'<td><span class="badge (\w+)">', row.group(0))


@pytest.fixture
def no_packs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(PACKS_DIR_ENV, raising=False)
    clear_cache()
    yield
    clear_cache()


def test_every_role_sees_the_matrix_as_the_cli_computes_it(
    harness: ConsoleHarness, no_packs: None
) -> None:
    matrix = coverage_matrix()
    for role in ROLES:
        page = harness.signed_in(role).get("/staff/translations")
        assert page.status_code == 200, role
        html = page.text
        assert 'aria-current="page">Translations</a>' in html
        headers = re.findall(r'<th scope="col" abbr="([^"]+)">', html)
        assert headers == list(matrix.languages)
        for row in matrix.instruments:
            assert _cells(html, row.instrument_id) == [
                row.cells[lang].status for lang in matrix.languages
            ], (role, row.instrument_id)
    # without packs the battery is refused in Spanish; DVPRS has a marked draft
    assert _cells(html, "promis29")[:2] == ["validated", "refused"]
    assert _cells(html, "dvprs")[:2] == ["validated", "draft"]
    assert "cpaq8 1.0</td><td>es</td>" in html and "no text in this language" in html


def test_the_bot_wording_per_language_with_its_status_in_its_own_script(
    harness: ConsoleHarness, no_packs: None
) -> None:
    html = harness.signed_in("researcher").get("/staff/translations").text
    wording = html[html.index('id="h-wording"') :]
    for info in language_status.languages():
        row = re.search(rf"<tr>\s*<td>{re.escape(info.code)}</td>.*?</tr>", wording, re.S)
        assert row, info.code
        text = row.group(0)
        assert f'<span lang="{info.code}" dir="{info.direction}">{info.name}</span>' in text
        expected = "source language" if info.source_language else info.status.value
        assert (
            f'class="badge {"source" if info.source_language else info.status.value}">{expected}<'
            in text
        )
        if info.reviewer:
            assert (
                info.reviewer in text and info.reviewed_on and info.reviewed_on.isoformat() in text
            )
    assert '<span lang="ar" dir="rtl">العربية</span>' in wording
    assert 'class="badge draft">draft<' in wording


def test_an_installed_pack_shows_as_pack(
    harness: ConsoleHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PACKS_DIR_ENV, str(HERE))
    clear_cache()
    try:
        html = harness.signed_in("coordinator").get("/staff/translations").text
    finally:
        monkeypatch.delenv(PACKS_DIR_ENV)
        clear_cache()
    for instrument in BATTERY:
        assert _cells(html, instrument)[:2] == ["validated", "pack"], instrument
    assert str(HERE / "promis29.es.yaml") in html
