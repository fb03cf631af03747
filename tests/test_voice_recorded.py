"""Recorded prompts (issue 20 point 5): a call in a language Twilio cannot speak plays only the
clinic's recordings, through signed URLs that say nothing; a missing recording refuses the survey
with a staff alert; the loader names every problem in the folder by its path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, col, select

from bot.channels.voice.audio import AudioSigner
from bot.db.models import Alert, ItemResponse
from bot.schedule.due import materialise_due_work
from bot.service.voice.enrol import VoiceEnrolmentError
from bot.service.voice.recordings import RECORDED_PROMPTS, catalog, clip_key
from tests.recordings_support import make_recordings, wav
from tests.sms_support import AUTH_TOKEN, PUBLIC_BASE
from tests.support import FakeClock
from tests.voice_support import voice_world

PAIN_PROMPT = [
    "dvprs/dvprs_pain.wav",
    "scale.wav",
    "two_digits.wav",
    "dvprs/dvprs_pain_0.wav",
    "dvprs/dvprs_pain_10.wav",
]


async def test_a_nepali_call_plays_only_recordings(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    sounds = make_recordings(tmp_path, "ne")
    async with voice_world(db_url, clock, voice_recordings_dir=str(tmp_path)) as w:
        pid = w.add_voice_patient("R1", locale="ne")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()

        def played() -> list[str]:
            return [sounds[audio] for audio in call.played]

        assert played() == ["welcome.wav", "enter_pin.wav"]
        assert call.gathering is not None and call.gathering.speech
        assert call.gathering.language == "ne-NP"  # Twilio hears Nepali (languages.yaml)
        await call.press("4826")
        assert played()[2:] == ["keys.wav", "dvprs/intro.wav", *PAIN_PROMPT]
        await call.press("7#")
        assert played()[-3:] == ["pressed.wav", "dvprs/dvprs_pain_7.wav", "confirm.wav"]
        await call.press("2")  # change: the question again, with no second introduction
        assert played()[-5:] == PAIN_PROMPT and played().count("dvprs/intro.wav") == 1
        await call.press("3#")
        await call.press("1")
        assert played()[-6] == "saved.wav" and played()[-5] == "dvprs/dvprs_activity.wav"
        await call.press("12")
        assert played()[-6] == "not_a_choice.wav"
        await call.press("8#")  # 8 is an answer here: read back with "press 8 again to stop"
        assert played()[-4:] == [
            "pressed.wav",
            "dvprs/dvprs_activity_8.wav",
            "confirm.wav",
            "again_stop.wav",
        ]
        await call.press("1")
        await call.press("9")  # 9 too: read back, and "press 9 again to pause"
        assert played()[-2:] == ["confirm.wav", "again_pause.wav"]
        await call.press("9")
        assert call.ended and played()[-1] == "paused.wav"  # the goodbye is recorded too
        assert call.heard == []  # not one word of text-to-speech, in any language
        with Session(w.app.db) as s:
            answers = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
        assert [(a.item_id, a.coded_value) for a in answers] == [
            ("dvprs_pain", 3),
            ("dvprs_activity", 8),
        ]
        # a URL says nothing of the question, the answer, the file or the language
        assert len(set(call.play_urls)) == len(set(played()))
        for url in call.play_urls:
            assert url.startswith(PUBLIC_BASE + "/twilio/voice/audio/")
            assert not any(word in url for word in ("dvprs", "pain", "wav", "/ne", "ne/", "_7"))


async def test_audio_urls_are_signed_and_expire(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    make_recordings(tmp_path, "sw")
    async with voice_world(db_url, clock, voice_recordings_dir=str(tmp_path)) as w:
        w.add_voice_patient("R2", locale="sw")
        call = await w.call_in()
        url = call.play_urls[0]
        assert (await w.voice.fetch(url)).status_code == 200
        forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        assert (await w.voice.fetch(forged)).status_code == 403
        unsigned = url.split("?")[0]
        assert (await w.voice.fetch(unsigned)).status_code == 403
        unknown = AudioSigner.from_auth_token(AUTH_TOKEN).url(PUBLIC_BASE, "0" * 32, clock())
        assert (await w.voice.fetch(unknown)).status_code == 404
        clock.advance(hours=3)
        assert (await w.voice.fetch(url)).status_code == 403  # expired


async def test_a_missing_recording_refuses_the_survey_and_tells_staff(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    sounds = make_recordings(tmp_path, "so")
    (tmp_path / "so" / "dvprs" / "dvprs_sleep_3.wav").unlink()
    found = catalog(tmp_path, clip_key(AUTH_TOKEN))
    assert (
        "so/dvprs/dvprs_sleep_3.wav: does not exist "
        "(instruments.dvprs.items.dvprs_sleep.options.3)" in found.problems
    )
    async with voice_world(db_url, clock, voice_recordings_dir=str(tmp_path)) as w:
        pid = w.add_voice_patient("R3", locale="so")
        w.app.pipeline.start_survey(pid, "dvprs")
        for _ in range(2):
            call = await w.call_in()
            assert call.gathering is not None and not call.gathering.speech  # keys only
            await call.press("4826")
            assert call.ended and [sounds[a] for a in call.played][-1] == "nothing_due.wav"
            assert call.heard == []  # never a question in another language
        with Session(w.app.db) as s:
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
        assert [a.kind for a in alerts] == ["voice_recording_missing"]  # once per survey


async def test_a_language_without_its_fixed_prompts_has_no_phone_line(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    make_recordings(tmp_path, "ps")
    (tmp_path / "ps" / "welcome.wav").unlink()
    async with voice_world(db_url, clock, voice_recordings_dir=str(tmp_path)) as w:
        with pytest.raises(VoiceEnrolmentError, match="fixed prompts are incomplete"):
            w.add_voice_patient("R4", locale="ps")
    async with voice_world(db_url, clock) as w:  # no recordings folder configured at all
        with pytest.raises(VoiceEnrolmentError, match="PATHBOT_VOICE_RECORDINGS_DIR"):
            w.add_voice_patient("R5", locale="ps")


def test_the_loader_names_every_problem_by_its_path(tmp_path: Path) -> None:
    make_recordings(tmp_path, "rn")
    folder = tmp_path / "rn"
    manifest = (folder / "manifest.yaml").read_text("utf-8")
    manifest = manifest.replace("  welcome: welcome.wav\n", "  wellcome: welcome.wav\n")
    manifest = manifest.replace("intro: dvprs/intro.wav", "intro: dvprs/intro.mp3")
    (folder / "manifest.yaml").write_text(manifest, "utf-8")
    (folder / "dvprs" / "intro.mp3").write_text("not audio", "utf-8")  # wrong type
    (folder / "dvprs" / "intro.wav").unlink()
    (folder / "keys.wav").unlink()
    (folder / "keys.wav").mkdir()  # unreadable: a folder where the file should be
    (folder / "confirm.wav").write_text("RIFF but no wave", "utf-8")
    (folder / "stray.wav").write_bytes(wav("stray"))
    (tmp_path / "xx").mkdir()
    (tmp_path / "fr").mkdir()
    found = catalog(tmp_path, clip_key(AUTH_TOKEN))
    problems = set(found.problems)
    assert "rn/manifest.yaml: prompts: 'welcome' is missing" in problems
    assert "rn/manifest.yaml: prompts: 'wellcome' is not a prompt" in problems
    assert "rn/dvprs/intro.mp3: not an MP3 or WAV recording (instruments.dvprs.intro)" in problems
    assert "rn/keys.wav: cannot be read (IsADirectoryError)" in problems
    assert "rn/confirm.wav: not an MP3 or WAV recording (prompts.confirm)" in problems
    assert "rn/stray.wav: not in the manifest" in problems
    assert "rn/welcome.wav: not in the manifest" in problems
    assert "xx/: not a language pathbot speaks" in problems
    assert "fr/: Twilio speaks this language; its calls use no recordings" in problems
    rn = found.languages["rn"]
    assert not rn.usable and "dvprs" not in rn.instruments
    assert set(rn.prompts) == RECORDED_PROMPTS - {"welcome", "keys", "confirm"}


def test_a_manifest_naming_what_does_not_exist_is_refused(tmp_path: Path) -> None:
    make_recordings(tmp_path, "my")
    path = tmp_path / "my" / "manifest.yaml"
    manifest = yaml.safe_load(path.read_text("utf-8"))
    dvprs = manifest["instruments"]["dvprs"]
    dvprs["extra"] = 1
    dvprs["items"]["dvprs_mod"] = dvprs["items"].pop("dvprs_mood")
    stress = dvprs["items"]["dvprs_stress"]["options"]
    stress[11] = stress.pop(10)
    manifest["instruments"]["nosuch"] = {"intro": "welcome.wav"}
    path.write_text(yaml.safe_dump(manifest), "utf-8")
    problems = set(catalog(tmp_path, clip_key(AUTH_TOKEN)).problems)
    where = "my/manifest.yaml: instruments"
    assert f"{where}.nosuch: no such instrument" in problems
    assert f"{where}.dvprs: unknown keys ['extra']" in problems
    assert f"{where}.dvprs.items: 'dvprs_mod' is not an item of it" in problems
    assert f"{where}.dvprs.items: 'dvprs_mood' is missing" in problems
    assert f"{where}.dvprs.items.dvprs_stress.options: 11 is not an option of it" in problems
    assert f"{where}.dvprs.items.dvprs_stress.options: 10 is missing" in problems
    path.unlink()
    assert "my/manifest.yaml: missing" in catalog(tmp_path, clip_key("other")).problems


async def test_crisis_and_a_machine_in_a_recorded_language(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    sounds = make_recordings(tmp_path, "fa-AF")
    async with voice_world(
        db_url, clock, voice_recordings_dir=str(tmp_path), voice_fallback_after_hours=0
    ) as w:
        pid = w.add_voice_patient("R6", locale="fa-AF")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        await call.press("0")  # before the PIN too: 0 is the crisis line
        assert call.dialed == ["988"] and call.ended
        assert [sounds[a] for a in call.played][-2:] == ["crisis.wav", "after_dial.wav"]
        assert call.heard == []
        with Session(w.app.db) as s:
            kinds = [a.kind for a in s.exec(select(Alert).where(Alert.patient_id == pid))]
        assert "crisis" in kinds
        other = w.add_voice_patient("R7", "+18025550177", locale="fa-AF")
        w.app.pipeline.start_survey(other, "dvprs")
        materialise_due_work(w.app.due_work_setup(), clock())
        await w.sms_world.dispatch()
        [placed] = w.sms_world.fake.calls
        machine = await w.voice.answer(placed, answered_by="machine_end_beep")
        assert machine.ended and [sounds[a] for a in machine.played] == ["machine.wav"]
        assert machine.heard == []
