"""A `VoiceScript` as TwiML, built with the twilio library's `VoiceResponse`.

Every <Gather> listens for keys and speech, posts to the next step's URL even when it heard
nothing (`actionOnEmptyResult`), and has `finishOnKey` off: '#' and '*' arrive as keys ('#'
skips, '*' repeats), and a one-digit answer on a 0-10 scale ends with '#' or a short silence.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.channels.voice.script import VoiceScript

GATHER_PATH = "/twilio/voice/gather"


def gather_url(step: int) -> str:
    """Relative: Twilio resolves it against the URL it called, which is what it signs."""
    return f"{GATHER_PATH}?s={step}"


def render(script: VoiceScript, *, next_step: int) -> str:
    response = VoiceResponse()
    say = {"language": script.language, "voice": script.voice}
    for text in script.said:
        response.say(text, **say)
    if script.listen is not None:
        gather = Gather(
            input="dtmf speech",
            action=gather_url(next_step),
            method="POST",
            num_digits=script.listen.num_digits,
            timeout=script.listen.timeout_seconds,
            finish_on_key="",
            action_on_empty_result=True,
            speech_timeout="auto",
            language=script.language,
        )
        for text in script.listen.prompt:
            gather.say(text, **say)
        response.append(gather)
        return str(response)
    if script.dial is not None:
        response.dial(script.dial)
        for text in script.after_dial:
            response.say(text, **say)
    response.hangup()
    return str(response)
