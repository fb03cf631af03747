"""Short names for the template's messages, so each language's wording file stays readable.

`translations_xx.py` may give `NAMED = {name: translation}` instead of `WORDING = {msgid: ...}`;
make_catalogs.py maps the names through this table (an unknown name is an error, and a message
of the template with no name here must be given by its msgid).
"""

KEYS: dict[str, str] = {
    "handout_step1": "1. Open your phone's camera and point it at the code above.",
    "handout_step2": "2. Open the link it shows: Telegram opens our chat.",
    "handout_step3": "3. Press Start. We will send you your questions there.",
    "trend_start": "At the start: {start}.",
    "BACK": "BACK",
    "C": "C",
    "menu_language": "Change the language",
    "choose_language": "Choose a language:",
    "demo_finished": "Demo finished. Your answers are in {database}.",
    "menu_go_on": "Go on with the questions",
    "HELP": "HELP",
    "menu_help": "Help and how to reach the clinic",
    "language_set": "I will write to you in English from now on.",
    "handout_title": "Join us on Telegram",
    "menu_join": "Join with your clinic link, or start again",
    "LANGUAGE": "LANGUAGE",
    "NO": "NO",
    "handout_no_camera": "No camera? Type this link into your phone: {link}",
    "not_validated": "Note: this translation has not been validated yet.",
    "holding": "Our team has been told and will contact you. The questions are paused until "
    "then. Emergency: call 911. Crisis: call or text 988.",
    "PAUSE": "PAUSE",
    "trend_today": "Pain today: {today} of 10.",
    "menu_pause": "Pause the questions",
    "paused": "Paused. Your answers are saved. Reply {resume} when you are ready.",
    "place": "Place: {place}.",
    "reprompt": "Please reply with a number from {first} to {last}.",
    "yes_or_no": "Please reply {yes} or {no}.",
    "reprompt_one_number": "Please send just one number, from {first} to {last}.",
    "reprompt_whole": "Please use a whole number from {first} to {last}.",
    "handout_questions": "Questions? Call {phone} ({hours}).",
    "question_number": "Q{number}/{total}.",
    "RESUME": "RESUME",
    "recorded": "Recorded: {answer}. Not right? Reply {undo}.",
    "removed": "Removed: {answer}. Please answer again.",
    "reminder_cant": "Reply {cant} if you can't come. Reply {stop} to end texts.",
    "hint_short": "Reply {first}-{last} or {skip}",
    "hint": "Reply {first}-{last}. {skip}, {back}, {pause}",
    "SKIP": "SKIP",
    "START": "START",
    "STOP": "STOP",
    "menu_stop": "Stop all messages",
    "menu_pain": "Tell us your pain now",
    "attendance_thanks": "Thank you for letting us know. We will miss you on {when}.",
    "crisis": "Thank you for telling us. This is an automated line and is not watched all the "
    "time. If you might act on thoughts of hurting yourself, call 911 now. You can call or text "
    "988 any time to talk to a counselor. Our team will contact you during business hours.",
    "thank_you": "Thank you! Your answers are saved. Your care team will see them before your "
    "next visit.",
    "reprompt_not_choice": "That is not one of the choices. Please reply with a number from "
    "{first} to {last}.",
    "idle": "There are no questions for you right now. Reply {help} for help.",
    "handout_safety": "These messages are not watched all the time. In an emergency call 911, "
    "or call or text 988.",
    "handout_code": "This code works once, until {date}. Keep it private.",
    "first_question": "This is the first question.",
    "link_bad": "This link does not work. Please check it, or call the clinic at {phone}.",
    "link_expired": "This link has expired. Please ask the clinic for a new one at {phone}.",
    "link_used": "This link was already used. Please ask the clinic for a new one at {phone}.",
    "question_closed": "This question is closed. Please answer the newest question.",
    "refused": "This questionnaire is not available in your language yet. Our team will "
    "contact you about it.",
    "video": "Video: {link}",
    "distress": "We are sorry you are going through this. Our team will see your message during "
    "business hours. If it gets worse or you feel unsafe, call 911, or call or text 988.",
    "call_back": "We will ask a team member to call you during business hours. In an emergency "
    "call 911.",
    "telegram_welcome": "Welcome to {program}. This chat is now linked to your care team. We "
    "will send your questions and reminders here. Telegram chats are not fully private: Telegram "
    "and anyone who uses this phone could read them. Send /stop at any time to end. Help: "
    "{phone}.",
    "which_language": "Which language do you want?",
    "which_questionnaire": "Which questionnaire do you want to answer?",
    "YES": "YES",
    "demo_intro": "You are the demo patient {study_id}. Type your replies; an empty line or "
    "Ctrl-D ends the demo.",
    "can_skip": "You can reply {skip} to skip this question.",
    "skipped_before": "You skipped this question before.",
    "skipped_offer": "You skipped {count} question. Answer it now? {yes} / {no}",
    "answer_was": "Your answer was: {answer}.",
    "your_answer": "Your answer: {answer}",
    "menu_pain_scale": "Your pain, 0 to 10",
    "handout_study_number": "Your study number: {study_id}",
    "day_at_time": "{day} at {time}",
    "help_text": "{program}. Help: {phone}, {hours}. Messages are not watched 24/7. Emergency: "
    "call 911. Crisis: call or text 988. Reply {stop} to end, {language} to change language.",
    "reminder_alumni": "{program}: reminder, the alumni group meets {when}.",
    "reminder_group": "{program}: reminder, your group meets {when}.",
    "sms_optin_ask": "{program}: reply {start} to get health questions and group reminders, 1-3 "
    "texts a week. Msg&data rates may apply. Texts are not private and not watched 24/7. "
    "Emergency: 911. Crisis: call or text 988. Reply {help} for help, {stop} to end.",
    "quarantined": "{program}: sorry, we could not process your last message. The care team "
    "has been told. You can also call {phone}.",
    "sms_signed_up": "{program}: thank you, you are signed up. We will text you when there are "
    "questions for you. Reply {help} for help, {stop} to end.",
    "alumni_moved": "{program}: the alumni meeting on {old} has moved to {new}.",
    "alumni_cancelled": "{program}: the alumni meeting on {when} is cancelled.",
    "telegram_not_linked": "{program}: this chat is not linked to the program. To join, open "
    "the link from your clinic, or call {phone}.",
    "sms_not_enrolled": "{program}: this number is not enrolled. To join, please ask the clinic "
    "at {phone}.",
    "sms_reply_start": "{program}: to get our texts, please reply {start}. Reply {stop} to end.",
    "welcome_back": "{program}: welcome back. You will get messages again. Reply {stop} to end.",
    "questions_waiting": "{program}: you have questions waiting for you. Reply {resume} to "
    "answer them.",
    "stopped": "{program}: you will get no more messages. Reply {start} to join again.",
    "group_moved": "{program}: your group on {old} has moved to {new}.",
    "group_cancelled": "{program}: your group on {when} is cancelled.",
    "survey_intro": "{program}: {title}. {count} question.",
    # issue 14: a battery answered in sittings
    "NEXT": "NEXT",
    "sitting_part": "Part {part} of {parts}.",
    "sitting_end": "That was part {part} of {parts}. Part {next_part} comes {when}. Reply {next} "
    "to start it now.",
    "sitting_later": "The next part of your questions comes later. Reply {next} to start it now.",
    "today_at": "today at {time}",
    "tomorrow_at": "tomorrow at {time}",
    "sitting_expired": "It has been more than 3 days since you started these questions. Answers "
    "need to come from the same few days, so we will ask some of them again.",
    # issue 12 (a crisis hold released by staff) and issue 19b (no help hours in the language)
    "hold_released": "Thank you for talking with our team. We are glad you reached out. The "
    "questions continue where we left off.",
    "help_text_no_hours": "{program}. Help: {phone}. Messages are not watched 24/7. Emergency: "
    "call 911. Crisis: call or text 988. Reply {stop} to end, {language} to change language.",
    "handout_questions_no_hours": "Questions? Call {phone}.",
    "please_type": "Please type your answer. This service can read typed text only, not voice "
    "notes, photos or stickers.",
}
