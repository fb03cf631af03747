"""French bot wording (status in locales/languages.yaml: draft, written by the project).

A native speaker must review the crisis, distress, holding and HELP texts first. START stays
START in every language: after STOP, the carrier (Twilio) re-subscribes a number only on START.
"""

NAMED: dict[str, str | list[str]] = {
    "handout_step1": "1. Ouvrez l'appareil photo de votre téléphone et visez le code ci-dessus.",
    "handout_step2": "2. Ouvrez le lien affiché : Telegram ouvre notre conversation.",
    "handout_step3": "3. Appuyez sur Démarrer. Nous vous y enverrons vos questions.",
    "trend_start": "Au début : {start}.",
    "BACK": "RETOUR",
    "C": "C",
    "menu_language": "Changer de langue",
    "choose_language": "Choisissez une langue :",
    "demo_finished": "Fin de la démonstration. Vos réponses sont dans {database}.",
    "menu_go_on": "Continuer les questions",
    "HELP": "AIDE",
    "menu_help": "Aide et comment joindre la clinique",
    "language_set": "Je vous écrirai en français à partir de maintenant.",
    "handout_title": "Rejoignez-nous sur Telegram",
    "menu_join": "Rejoindre avec le lien de votre clinique, ou recommencer",
    "LANGUAGE": "LANGUE",
    "NO": "NON",
    "handout_no_camera": "Pas d'appareil photo ? Tapez ce lien dans votre téléphone : {link}",
    "not_validated": "Remarque : cette traduction n'a pas encore été validée.",
    "holding": "Notre équipe est prévenue et va vous contacter. Les questions sont en pause "
    "d'ici là. Urgence : appelez le 911. Crise : appelez le 988 ou envoyez-lui un texto.",
    "PAUSE": "PAUSE",
    "trend_today": "Douleur aujourd'hui : {today} sur 10.",
    "menu_pause": "Mettre les questions en pause",
    "paused": "En pause. Vos réponses sont enregistrées. Répondez {resume} quand vous serez prêt(e).",
    "place": "Lieu : {place}.",
    "reprompt": "Merci de répondre par un nombre de {first} à {last}.",
    "yes_or_no": "Merci de répondre {yes} ou {no}.",
    "reprompt_one_number": "Merci d'envoyer un seul nombre, de {first} à {last}.",
    "reprompt_whole": "Merci d'utiliser un nombre entier de {first} à {last}.",
    "handout_questions": "Des questions ? Appelez le {phone} ({hours}).",
    "question_number": "Q{number}/{total}.",
    "RESUME": "REPRENDRE",
    "recorded": "Enregistré : {answer}. Ce n'est pas juste ? Répondez {undo}.",
    "removed": "Supprimé : {answer}. Merci de répondre à nouveau.",
    "reminder_cant": "Répondez {cant} si vous ne pouvez pas venir. Répondez {stop} pour ne "
    "plus recevoir de SMS.",
    "hint_short": "Répondez {first}-{last} ou {skip}",
    "hint": "Répondez de {first} à {last}. {skip}, {back}, {pause}",
    "SKIP": "PASSER",
    "START": "START",
    "STOP": "STOP",
    "menu_stop": "Arrêter tous les messages",
    "menu_pain": "Dites-nous votre douleur maintenant",
    "attendance_thanks": "Merci de nous avoir prévenus. Vous nous manquerez le {when}.",
    "crisis": "Merci de nous l'avoir dit. Cette ligne est automatique et n'est pas surveillée en "
    "permanence. Si vous risquez de passer à l'acte et de vous faire du mal, appelez le 911 "
    "maintenant. Vous pouvez appeler le 988 à toute heure pour parler à un conseiller, et "
    "demander un interprète : le 988 propose des interprètes dans plus de 200 langues. Notre "
    "équipe vous contactera pendant les heures d'ouverture.",
    "thank_you": "Merci ! Vos réponses sont enregistrées. Votre équipe soignante les verra avant "
    "votre prochain rendez-vous.",
    "reprompt_not_choice": "Ce n'est pas l'un des choix. Merci de répondre par un nombre de "
    "{first} à {last}.",
    "idle": "Vous n'avez pas de questions pour le moment. Répondez {help} pour de l'aide.",
    "handout_safety": "Ces messages ne sont pas surveillés en permanence. En cas d'urgence, "
    "appelez le 911, ou appelez le 988 (interprètes dans plus de 200 langues).",
    "handout_code": "Ce code ne sert qu'une fois, jusqu'au {date}. Gardez-le pour vous.",
    "first_question": "C'est la première question.",
    "link_bad": "Ce lien ne fonctionne pas. Vérifiez-le, ou appelez la clinique au {phone}.",
    "link_expired": "Ce lien a expiré. Demandez-en un nouveau à la clinique au {phone}.",
    "link_used": "Ce lien a déjà été utilisé. Demandez-en un nouveau à la clinique au {phone}.",
    "question_closed": "Cette question est fermée. Merci de répondre à la question la plus récente.",
    "refused": "Ce questionnaire n'est pas encore disponible dans votre langue. Notre équipe "
    "vous contactera à ce sujet.",
    "video": "Vidéo : {link}",
    "distress": "Nous sommes désolés que vous traversiez cela. Notre équipe verra votre message "
    "pendant les heures d'ouverture. Si cela s'aggrave ou si vous ne vous sentez pas en "
    "sécurité, appelez le 911, ou appelez le 988 : des interprètes y parlent plus de 200 langues.",
    "call_back": "Nous allons demander à un membre de l'équipe de vous appeler pendant les "
    "heures d'ouverture. En cas d'urgence, appelez le 911.",
    "telegram_welcome": "Bienvenue à {program}. Cette conversation est maintenant reliée à "
    "votre équipe soignante. Nous vous enverrons ici vos questions et vos rappels. Les "
    "conversations Telegram ne sont pas entièrement privées : Telegram et toute personne qui "
    "utilise ce téléphone pourraient les lire. Envoyez /stop à tout moment pour arrêter. "
    "Aide : {phone}.",
    "which_language": "Dans quelle langue voulez-vous vos messages ?",
    "which_questionnaire": "À quel questionnaire voulez-vous répondre ?",
    "YES": "OUI",
    "demo_intro": "Vous êtes le patient de démonstration {study_id}. Tapez vos réponses ; une "
    "ligne vide ou Ctrl-D termine la démonstration.",
    "can_skip": "Vous pouvez répondre {skip} pour passer cette question.",
    "skipped_before": "Vous avez passé cette question auparavant.",
    "skipped_offer": [
        "Vous avez passé {count} question. Y répondre maintenant ? {yes} / {no}",
        "Vous avez passé {count} questions. Y répondre maintenant ? {yes} / {no}",
    ],
    "answer_was": "Votre réponse était : {answer}.",
    "your_answer": "Votre réponse : {answer}",
    "menu_pain_scale": "Votre douleur, de 0 à 10",
    "handout_study_number": "Votre numéro d'étude : {study_id}",
    "day_at_time": "{day} à {time}",
    "help_text": "{program}. Aide : {phone}, {hours}. Les messages ne sont pas surveillés "
    "24 h/24. Urgence : appelez le 911. Crise : appelez le 988 (interprètes dans plus de 200 "
    "langues). Répondez {stop} pour arrêter, {language} pour changer de langue.",
    "reminder_alumni": "{program} : rappel, le groupe des anciens se réunit le {when}.",
    "reminder_group": "{program} : rappel, votre groupe se réunit le {when}.",
    "sms_optin_ask": "{program} : répondez {start} pour recevoir des questions de santé et des "
    "rappels de groupe, 1 à 3 SMS par semaine. Des frais de messages et de données peuvent "
    "s'appliquer. Les SMS ne sont pas privés ni surveillés 24 h/24. Urgence : 911. Crise : "
    "appelez le 988. Répondez {help} pour de l'aide, {stop} pour arrêter.",
    "quarantined": "{program} : désolés, nous n'avons pas pu traiter votre dernier message. "
    "L'équipe soignante est prévenue. Vous pouvez aussi appeler le {phone}.",
    "sms_signed_up": "{program} : merci, vous êtes inscrit(e). Nous vous écrirons quand il y "
    "aura des questions pour vous. Répondez {help} pour de l'aide, {stop} pour arrêter.",
    "alumni_moved": "{program} : la réunion des anciens du {old} est déplacée au {new}.",
    "alumni_cancelled": "{program} : la réunion des anciens du {when} est annulée.",
    "telegram_not_linked": "{program} : cette conversation n'est pas reliée au programme. "
    "Pour vous inscrire, ouvrez le lien de votre clinique, ou appelez le {phone}.",
    "sms_not_enrolled": "{program} : ce numéro n'est pas inscrit. Pour vous inscrire, "
    "adressez-vous à la clinique au {phone}.",
    "sms_reply_start": "{program} : pour recevoir nos SMS, répondez {start}. Répondez {stop} "
    "pour arrêter.",
    "welcome_back": "{program} : bon retour parmi nous. Vous recevrez à nouveau des messages. "
    "Répondez {stop} pour arrêter.",
    "questions_waiting": "{program} : des questions vous attendent. Répondez {resume} pour y "
    "répondre.",
    "stopped": "{program} : vous ne recevrez plus de messages. Répondez {start} pour revenir.",
    "group_moved": "{program} : votre groupe du {old} est déplacé au {new}.",
    "group_cancelled": "{program} : votre groupe du {when} est annulé.",
    "survey_intro": [
        "{program} : {title}. {count} question.",
        "{program} : {title}. {count} questions.",
    ],
    # issue 14: a battery answered in sittings
    "NEXT": "SUIVANT",
    "sitting_part": "Partie {part} sur {parts}.",
    "sitting_end": "C'était la partie {part} sur {parts}. La partie {next_part} arrive {when}. "
    "Répondez {next} pour la commencer maintenant.",
    "sitting_later": "La suite de vos questions arrive plus tard. Répondez {next} pour la "
    "commencer maintenant.",
    "today_at": "aujourd'hui à {time}",
    "tomorrow_at": "demain à {time}",
    "sitting_expired": "Plus de 3 jours ont passé depuis que vous avez commencé ces questions. Les "
    "réponses doivent dater des mêmes jours : nous vous en reposerons donc certaines.",
    # issue 12 (crisis hold released) and issue 19b (no help hours in the language)
    "hold_released": "Merci d'avoir parlé avec notre équipe. Nous sommes contents que vous nous ayez contactés. Les questions reprennent là où nous nous étions arrêtés.",
    "help_text_no_hours": "{program}. Aide : {phone}. Les messages ne sont pas surveillés 24 h/24. Urgence : appelez le 911. Crise : appelez le 988 (interprètes dans plus de 200 langues). Répondez {stop} pour arrêter, {language} pour changer de langue.",
    "handout_questions_no_hours": "Des questions ? Appelez le {phone}.",
    "please_type": "Veuillez écrire votre réponse. Ce service ne lit que le texte écrit, pas "
    "les messages vocaux, les photos ni les autocollants.",
}
