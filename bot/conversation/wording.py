"""What the engine says about answers: re-prompts, read-backs, BACK, the skipped-items offer.

Short, and only what is expected (issue 13 point 6): a re-prompt names the range, it does not
repeat the eleven anchors. Every string goes through gettext; Spanish lives in
locales/tools/translations_es.py. Answers are shown as the patient saw them ("6 = Hard to
ignore"), with "=" rather than a dash so SMS stays in GSM-7.
"""

from __future__ import annotations

from bot.conversation.i18n import Translator
from surveys.model import Item


def answer_text(item: Item, code: int, language: str) -> str:
    """'6 = Hard to ignore, avoid usual activities', or '6' where the label is the number."""
    option = item.option_by_code(code)
    label = option.label.get(language, option.label.get("en", "")) if option else ""
    return str(code) if not label or label == str(code) else f"{code} = {label}"


def reprompt(tr: Translator, item: Item, failure: str | None, *, offer_skip: bool) -> str:
    first, last = min(item.codes), max(item.codes)
    if failure == "several_numbers":
        text = tr.gettext("Please send just one number, from {first} to {last}.")
    elif failure in ("out_of_range", "wrong_scale"):
        text = tr.gettext(
            "That is not one of the choices. Please reply with a number from {first} to {last}."
        )
    elif failure == "decimal":
        text = tr.gettext("Please use a whole number from {first} to {last}.")
    else:
        text = tr.gettext("Please reply with a number from {first} to {last}.")
    text = text.format(first=first, last=last)
    if offer_skip:
        text += " " + tr.gettext("You can reply {skip} to skip this question.").format(
            skip=tr.gettext("SKIP")
        )
    return text


def recorded(tr: Translator, answer: str, *, undo_word: str) -> str:
    """The read-back that starts the next message."""
    return tr.gettext("Recorded: {answer}. Not right? Reply {undo}.").format(
        answer=answer, undo=undo_word
    )


def removed(tr: Translator, answer: str) -> str:
    return tr.gettext("Removed: {answer}. Please answer again.").format(answer=answer)


def previous_answer(tr: Translator, answer: str | None) -> str:
    """What BACK shows above the question it reopens."""
    if answer is None:
        return tr.gettext("You skipped this question before.")
    return tr.gettext("Your answer was: {answer}.").format(answer=answer)


def skipped_offer(tr: Translator, count: int) -> str:
    return tr.ngettext(
        "You skipped {count} question. Answer it now? {yes} / {no}",
        "You skipped {count} questions. Answer them now? {yes} / {no}",
        count,
    ).format(count=count, yes=tr.gettext("YES"), no=tr.gettext("NO"))


def yes_or_no(tr: Translator) -> str:
    return tr.gettext("Please reply {yes} or {no}.").format(
        yes=tr.gettext("YES"), no=tr.gettext("NO")
    )


def thank_you(tr: Translator) -> str:
    return tr.gettext(
        "Thank you! Your answers are saved. Your care team will see them before your next visit."
    )
