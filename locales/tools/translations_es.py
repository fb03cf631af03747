"""Reviewed Spanish wording for pathbot's bot messages, kept as data for `make_catalogs.py`.

Only bot wording lives here; instrument wording lives in the instrument files. Keywords shown to
patients (SALTAR, ATRÁS, PAUSA, ...) must stay in bot/conversation/rules/keywords.yaml so they are understood.
"""

WORDING: dict[str, str | list[str]] = {
    "C": "C",
    "{day} at {time}": "{day} a las {time}",
    "Place: {place}.": "Lugar: {place}.",
    "Video: {link}": "Video: {link}",
    "{program}: reminder, your group meets {when}.": "{program}: recordatorio, su grupo se reúne el {when}.",
    "{program}: reminder, the alumni group meets {when}.": "{program}: recordatorio, el grupo de exalumnos se reúne el {when}.",
    "Reply {cant} if you can't come. Reply {stop} to end texts.": "Responda {cant} si no puede venir. Responda {stop} para no recibir más mensajes.",
    "{program}: you have questions waiting for you. Reply {resume} to answer them.": "{program}: tiene preguntas esperando. Responda {resume} para contestarlas.",
    "{program}: your group on {old} has moved to {new}.": "{program}: su grupo del {old} se cambió al {new}.",
    "{program}: the alumni meeting on {old} has moved to {new}.": "{program}: la reunión de exalumnos del {old} se cambió al {new}.",
    "{program}: your group on {when} is cancelled.": "{program}: su grupo del {when} se canceló.",
    "{program}: the alumni meeting on {when} is cancelled.": "{program}: la reunión de exalumnos del {when} se canceló.",
    "Thank you for letting us know. We will miss you on {when}.": "Gracias por avisarnos. Lo/la vamos a extrañar el {when}.",
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
    # SMS (bot/channels/sms/render.py, bot/service/sms_optin.py)
    "Reply {first}-{last} or {skip}": "Responda {first}-{last} o {skip}",
    "{program}: reply {start} to get health questions and group reminders, 1-3 texts a week. "
    "Msg&data rates may apply. Texts are not private and not watched 24/7. Emergency: 911. "
    "Crisis: call or text 988. Reply {help} for help, {stop} to end.": "{program}: responda "
    "{start} para recibir preguntas de salud y recordatorios de grupo, de 1 a 3 mensajes por "
    "semana. Pueden aplicarse tarifas de mensajes y datos. Los mensajes no son privados y no se "
    "leen las 24 horas. Emergencia: 911. Crisis: llame o envíe un texto al 988. Responda {help} "
    "para recibir ayuda, {stop} para terminar.",
    "{program}: thank you, you are signed up. We will text you when there are questions for "
    "you. Reply {help} for help, {stop} to end.": "{program}: gracias, ya está inscrito/a. Le "
    "enviaremos un mensaje cuando haya preguntas para usted. Responda {help} para recibir ayuda, "
    "{stop} para terminar.",
    "{program}: to get our texts, please reply {start}. Reply {stop} to end.": "{program}: para "
    "recibir nuestros mensajes, responda {start}. Responda {stop} para terminar.",
    "Reply {first}-{last}. {skip}, {back}, {pause}": "Responda del {first} al {last}. {skip}, {back}, {pause}",
    "There are no questions for you right now. Reply {help} for help.": "No hay preguntas para usted en este momento. Responda {help} para recibir ayuda.",
    "This is the first question.": "Esta es la primera pregunta.",
    "Which language do you want?": "¿En qué idioma quiere recibir los mensajes?",
    # Telegram channel (bot/channels/telegram*.py) and the pain trend (bot/clinic/trend.py)
    "At the start: {start}.": "Al comienzo: {start}.",
    "Change the language": "Cambiar el idioma",
    "Go on with the questions": "Seguir con las preguntas",
    "Help and how to reach the clinic": "Ayuda y cómo comunicarse con la clínica",
    "Join with your clinic link, or start again": "Unirse con el enlace de su clínica, o volver a empezar",
    "Pain today: {today} of 10.": "Dolor hoy: {today} de 10.",
    "Pause the questions": "Hacer una pausa en las preguntas",
    "Stop all messages": "Dejar de recibir mensajes",
    "Tell us your pain now": "Díganos cuánto dolor tiene ahora",
    "This link does not work. Please check it, or call the clinic at {phone}.": "Este enlace no funciona. Por favor, revíselo o llame a la clínica al {phone}.",
    "This link has expired. Please ask the clinic for a new one at {phone}.": "Este enlace ya venció. Por favor, pida uno nuevo a la clínica al {phone}.",
    "This link was already used. Please ask the clinic for a new one at {phone}.": "Este enlace ya se usó. Por favor, pida uno nuevo a la clínica al {phone}.",
    "Welcome to {program}. This chat is now linked to your care team. We will send your questions and reminders here. Telegram chats are not fully private: Telegram and anyone who uses this phone could read them. Send /stop at any time to end. Help: {phone}.": "Bienvenido/a a {program}. Este chat ya está conectado con su equipo de salud. Aquí le enviaremos sus preguntas y recordatorios. Los chats de Telegram no son del todo privados: Telegram y cualquier persona que use este teléfono podrían leerlos. Envíe /stop cuando quiera para terminar. Ayuda: {phone}.",
    "Your answer: {answer}": "Su respuesta: {answer}",
    "Your pain, 0 to 10": "Su dolor, de 0 a 10",
    "{program}: this chat is not linked to the program. To join, open the link from your clinic, or call {phone}.": "{program}: este chat no está conectado con el programa. Para unirse, abra el enlace que le dio su clínica o llame al {phone}.",
    "Which questionnaire do you want to answer?": "¿Qué cuestionario quiere contestar?",
    "You can reply {skip} to skip this question.": "Puede responder {skip} para saltar esta pregunta.",
    "{program}: welcome back. You will get messages again. Reply {stop} to end.": "{program}: bienvenido/a de nuevo. Volverá a recibir mensajes. "
    "Responda {stop} para terminar.",
    "{program}: you will get no more messages. Reply {start} to join again.": "{program}: ya no recibirá más mensajes. Responda {start} para volver a unirse.",
    # Replies: re-prompts, read-back and undo, BACK, the skipped-items offer (issue 13)
    "Please reply with a number from {first} to {last}.": "Por favor, responda con un número del {first} al {last}.",
    "Recorded: {answer}. Not right? Reply {undo}.": "Registrado: {answer}. ¿No es correcto? Responda {undo}.",
    "Removed: {answer}. Please answer again.": "Borrado: {answer}. Por favor, responda de nuevo.",
    "You skipped this question before.": "Antes saltó esta pregunta.",
    "Your answer was: {answer}.": "Su respuesta fue: {answer}.",
    "You skipped {count} question. Answer it now? {yes} / {no}": [
        "Saltó {count} pregunta. ¿Quiere contestarla ahora? {yes} / {no}",
        "Saltó {count} preguntas. ¿Quiere contestarlas ahora? {yes} / {no}",
    ],
    "Please reply {yes} or {no}.": "Por favor, responda {yes} o {no}.",
    "YES": "SÍ",
    "NO": "NO",
    "This question is closed. Please answer the newest question.": "Esta pregunta ya está cerrada. Por favor, conteste la pregunta más reciente.",
    "{program}: {title}. {count} question.": [
        "{program}: {title}. {count} pregunta.",
        "{program}: {title}. {count} preguntas.",
    ],
    "That is not one of the choices. Please reply with a number from {first} to {last}.": "Esa no es una de las opciones. Por favor, responda con un número del {first} "
    "al {last}.",
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
    "Please type your answer. This service can read typed text only, not voice notes, photos "
    "or stickers.": "Por favor, escriba su respuesta. Este servicio solo puede leer texto "
    "escrito, no notas de voz, fotos ni stickers.",
    "Thank you for talking with our team. We are glad you reached out. The questions continue "
    "where we left off.": "Gracias por hablar con nuestro equipo. Nos alegra que nos haya "
    "escrito. Las preguntas siguen donde las dejamos.",
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
    # The printable invitation handout (bot/clinic/handout.py).
    "Join us on Telegram": "Únase a nosotros en Telegram",
    "Your study number: {study_id}": "Su número de estudio: {study_id}",
    "1. Open your phone's camera and point it at the code above.": "1. Abra la cámara de su teléfono y apúntela al código de arriba.",
    "2. Open the link it shows: Telegram opens our chat.": "2. Abra el enlace que aparece: Telegram abre nuestro chat.",
    "3. Press Start. We will send you your questions there.": "3. Pulse Iniciar. Allí le enviaremos sus preguntas.",
    "No camera? Type this link into your phone: {link}": "¿No tiene cámara? Escriba este enlace en su teléfono: {link}",
    "This code works once, until {date}. Keep it private.": "Este código sirve una sola vez, hasta el {date}. No lo comparta.",
    "Questions? Call {phone} ({hours}).": "¿Preguntas? Llame al {phone} ({hours}).",
    "These messages are not watched all the time. In an emergency call 911, or call or text 988.": "Los mensajes no se leen las 24 horas. En una emergencia llame al 911; en una crisis, llame o envíe un texto al 988.",
    # An inbound message that could not be processed and was kept for staff (bot/service/quarantine.py)
    "{program}: sorry, we could not process your last message. The care team has been told. "
    "You can also call {phone}.": "{program}: lo sentimos, no pudimos procesar su último mensaje. El equipo de atención "
    "ya lo sabe. También puede llamar al {phone}.",
    # A battery answered in sittings (bot/schedule/sittings.py, bot/conversation/engine.py)
    "NEXT": "SIGUIENTE",
    "Part {part} of {parts}.": "Parte {part} de {parts}.",
    "That was part {part} of {parts}. Part {next_part} comes {when}. Reply {next} to start it "
    "now.": "Esa fue la parte {part} de {parts}. La parte {next_part} llegará {when}. Responda "
    "{next} para empezarla ahora.",
    "The next part of your questions comes later. Reply {next} to start it now.": "La siguiente "
    "parte de sus preguntas llegará más tarde. Responda {next} para empezarla ahora.",
    "today at {time}": "hoy a las {time}",
    "tomorrow at {time}": "mañana a las {time}",
    "It has been more than 3 days since you started these questions. Answers need to come from "
    "the same few days, so we will ask some of them again.": "Han pasado más de 3 días desde que "
    "empezó estas preguntas. Las respuestas deben ser de los mismos días, así que le haremos "
    "algunas otra vez.",
}
