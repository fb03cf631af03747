"""A `VoiceScript` as TwiML, built with the twilio library's `VoiceResponse`.

Every <Gather> listens for keys and speech, posts to the next step's URL even when it heard
nothing (`actionOnEmptyResult`), and has `finishOnKey` off: '#' and '*' arrive as keys ('#'
skips, '*' repeats), and a one-digit answer on a 0-10 scale ends with '#' or a short silence.
A language Twilio cannot recognise (`speech` None) gathers keys only.

Text is <Say> with the script's language and voice; a recorded prompt (`Clip`) is <Play> of the
URL `play_url` makes for it (signed, bot/channels/voice/audio.py).
"""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.channels.voice.script import Clip, Line, VoiceScript

GATHER_PATH = "/twilio/voice/gather"


def gather_url(step: int) -> str:
    """Relative: Twilio resolves it against the URL it called, which is what it signs."""
    return f"{GATHER_PATH}?s={step}"


def render(
    script: VoiceScript, *, next_step: int, play_url: Callable[[Clip], str] | None = None
) -> str:
    response = VoiceResponse()
    say = {"language": script.language, "voice": script.voice}

    def speak(verb: VoiceResponse | Gather, line: Line) -> None:
        if isinstance(line, str):
            verb.say(line, **say)
            return
        if play_url is None:
            raise ValueError("a recorded prompt needs a URL to play it from")
        verb.play(play_url(line))

    for line in script.said:
        speak(response, line)
    if script.listen is not None:
        listening = {"input": "dtmf speech", "speech_timeout": "auto", "language": script.speech}
        gather = Gather(
            action=gather_url(next_step),
            method="POST",
            num_digits=script.listen.num_digits,
            timeout=script.listen.timeout_seconds,
            finish_on_key="",
            action_on_empty_result=True,
            **(listening if script.speech else {"input": "dtmf"}),
        )
        for line in script.listen.prompt:
            speak(gather, line)
        response.append(gather)
        return str(response)
    if script.dial is not None:
        response.dial(script.dial)
        for line in script.after_dial:
            speak(response, line)
    response.hangup()
    return str(response)
