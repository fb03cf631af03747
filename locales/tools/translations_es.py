"""Reviewed Spanish wording for pathbot's bot messages, kept as data for `make_catalogs.py`.

Only bot wording lives here; instrument wording lives in the instrument files. Keywords shown to
patients (SALTAR, ATRÁS, PAUSA, ...) must stay in bot/rules/keywords.yaml so they are understood.
"""

SPANISH: dict[str, str | list[str]] = {
    "BACK": "ATRÁS",
    "HELP": "AYUDA",
    "LANGUAGE": "IDIOMA",
    "PAUSE": "PAUSA",
    "RESUME": "CONTINUAR",
    "SKIP": "SALTAR",
    "START": "START",
    "STOP": "PARAR",
    "Choose a language:": "Elija un idioma:",
    "Demo finished. Your answers are in {database}.": "Fin de la demostración. Sus respuestas están en {database}.",
    "I will write to you in English from now on.": "A partir de ahora le escribiré en español.",
    "Note: this translation has not been validated yet.": "Nota: esta traducción todavía no ha sido validada.",
    "Paused. Your answers are saved. Reply {resume} when you are ready.": "En pausa. Sus respuestas están guardadas. Responda {resume} cuando quiera seguir.",
    "Please send just one number, from {first} to {last}.": "Por favor, envíe un solo número, del {first} al {last}.",
    "Please use a whole number from {first} to {last}.": "Por favor, use un número entero del {first} al {last}.",
    "Q{number}/{total}.": "P{number}/{total}.",
    "Reply {first}-{last}. {skip}, {back}, {pause}": "Responda del {first} al {last}. {skip}, {back}, {pause}",
    "There are no questions for you right now. Reply {help} for help.": "No hay preguntas para usted en este momento. Responda {help} para recibir ayuda.",
    "This is the first question.": "Esta es la primera pregunta.",
    "Which language do you want?": "¿En qué idioma quiere recibir los mensajes?",
    "Which questionnaire do you want to answer?": "¿Qué cuestionario quiere contestar?",
    "You can reply {skip} to skip this question.": "Puede responder {skip} para saltar esta pregunta.",
    "{program}: welcome back. You will get messages again. Reply {stop} to end.": "{program}: bienvenido/a de nuevo. Volverá a recibir mensajes. "
    "Responda {stop} para terminar.",
    "{program}: you will get no more messages. Reply {start} to join again.": "{program}: ya no recibirá más mensajes. Responda {start} para volver a unirse.",
    "{program}: {title}. {count} question.": [
        "{program}: {title}. {count} pregunta.",
        "{program}: {title}. {count} preguntas.",
    ],
    "That is not one of the choices. Please reply with a number from {first} to {last}.": "Esa no es una de las opciones. Por favor, responda con un número del {first} "
    "al {last}.",
    "Sorry, I did not understand. Please reply with a number from {first} to {last}.": "Perdone, no le entendí. Por favor, responda con un número del {first} al {last}.",
    "Thank you! Your answers are saved. Your care team will see them before your next visit.": "¡Gracias! Sus respuestas están guardadas. Su equipo de atención las verá antes de "
    "su próxima visita.",
    "This questionnaire is not available in your language yet. Our team will contact you "
    "about it.": "Este cuestionario todavía no está disponible en su idioma. Nuestro equipo se pondrá "
    "en contacto con usted.",
    "{program}. Help: {phone}, {hours}. Messages are not watched 24/7. Emergency: call 911. "
    "Crisis: call or text 988. Reply {stop} to end, {language} to change language.": "{program}. Ayuda: {phone}, {hours}. Los mensajes no se leen las 24 horas. "
    "Emergencia: llame al 911. Crisis: llame o envíe un texto al 988 (marque 2 para "
    "español). Responda {stop} para terminar, {language} para cambiar de idioma.",
    "We will ask a team member to call you during business hours. In an emergency call 911.": "Le pediremos a alguien del equipo que le llame en horario de oficina. En una "
    "emergencia, llame al 911.",
    "Our team has been told and will contact you. The questions are paused until then. "
    "Emergency: call 911. Crisis: call or text 988.": "Nuestro equipo ya lo sabe y se pondrá en contacto con usted. Las preguntas están en "
    "pausa hasta entonces. Emergencia: llame al 911. Crisis: llame o envíe un texto al 988.",
    "Thank you for telling us. This is an automated line and is not watched all the time. If "
    "you might act on thoughts of hurting yourself, call 911 now. You can call or text 988 any "
    "time to talk to a counselor. Our team will contact you during business hours.": "Gracias por decírnoslo. Esta es una línea automática y no se vigila todo el tiempo. "
    "Si piensa que podría hacerse daño, llame al 911 ahora. Puede llamar o enviar un texto "
    "al 988 a cualquier hora para hablar con un consejero (marque 2 para español). Nuestro "
    "equipo se pondrá en contacto con usted en horario de oficina.",
    "We are sorry you are going through this. Our team will see your message during business "
    "hours. If it gets worse or you feel unsafe, call 911, or call or text 988.": "Sentimos mucho que esté pasando por esto. Nuestro equipo verá su mensaje en horario "
    "de oficina. Si empeora o no se siente seguro/a, llame al 911, o llame o envíe un "
    "texto al 988.",
    "{program}: this number is not enrolled. To join, please ask the clinic at {phone}.": "{program}: este número no está inscrito. Para unirse, consulte a la clínica al "
    "{phone}.",
    "You are the demo patient {study_id}. Type your replies; an empty line or Ctrl-D ends "
    "the demo.": "Usted es el paciente de demostración {study_id}. Escriba sus respuestas; una línea "
    "vacía o Ctrl-D termina la demostración.",
}
