"""Somali bot wording (status in locales/languages.yaml: draft, written by the project).

A native speaker must review first: crisis, distress, holding and HELP texts, then the keywords
(JOOJI, CAAWIN, DHAAF, DIB, NASASHO, SII WAD, LUQAD). Maay Maay speakers are not served by this
wording (Maay is a separate language; the issue lists it for interpreter lines).
"""

NAMED: dict[str, str | list[str]] = {
    "handout_step1": "1. Fur kamaradda taleefankaaga oo ku toosi koodhka kor ku yaal.",
    "handout_step2": "2. Fur xiriirka (link-ga) uu muujiyo: Telegram ayaa furaya wadahadalkeenna.",
    "handout_step3": "3. Riix Bilow. Halkaas ayaan kuugu soo diri doonnaa su'aalahaaga.",
    "trend_start": "Bilowgii: {start}.",
    "BACK": "DIB",
    "C": "C",
    "menu_language": "Beddel luqadda",
    "choose_language": "Dooro luqad:",
    "demo_finished": "Tijaabadii way dhammaatay. Jawaabahaagu waxay ku jiraan {database}.",
    "menu_go_on": "Sii wad su'aalaha",
    "HELP": "CAAWIN",
    "menu_help": "Caawimaad iyo sida loola xiriiro rugta caafimaadka",
    "language_set": "Hadda wixii ka dambeeya waxaan kuugu qori doonaa af Soomaali.",
    "handout_title": "Nagagu soo biir Telegram",
    "menu_join": "Ku soo biir xiriirka rugtaada caafimaad, ama dib u bilow",
    "LANGUAGE": "LUQAD",
    "NO": "MAYA",
    "handout_no_camera": "Kamarad ma lihid? Xiriirkan ku qor taleefankaaga: {link}",
    "not_validated": "Ogow: tarjumaaddan weli lama hubin.",
    "holding": "Kooxdayada waa la ogeysiiyay, way kula soo xiriiri doonaan. Su'aalaha waa la "
    "joojiyay ilaa inta ka horreysa. Xaalad degdeg ah: wac 911. Xiisad: wac 988 oo codso "
    "turjubaan.",
    "PAUSE": "NASASHO",
    "trend_today": "Xanuunka maanta: {today} ee 10.",
    "menu_pause": "Su'aalaha wax yar jooji",
    "paused": "Waa la joojiyay. Jawaabahaaga waa la keydiyay. Soo dir {resume} markaad diyaar "
    "noqoto.",
    "place": "Goobta: {place}.",
    "reprompt": "Fadlan ku jawaab lambar u dhexeeya {first} ilaa {last}.",
    "yes_or_no": "Fadlan ku jawaab {yes} ama {no}.",
    "reprompt_one_number": "Fadlan soo dir hal lambar oo keliya, {first} ilaa {last}.",
    "reprompt_whole": "Fadlan isticmaal lambar dhan oo u dhexeeya {first} ilaa {last}.",
    "handout_questions": "Su'aalo ma qabtaa? Wac {phone} ({hours}).",
    "question_number": "S{number}/{total}.",
    "RESUME": "SII WAD",
    "recorded": "Waa la qoray: {answer}. Sax ma aha? Soo dir {undo}.",
    "removed": "Waa la tirtiray: {answer}. Fadlan mar kale ka jawaab.",
    "reminder_cant": "Soo dir {cant} haddii aadan imaan karin. Soo dir {stop} si fariimuhu u "
    "joogsadaan.",
    "hint_short": "Soo dir {first}-{last} ama {skip}",
    "hint": "Soo dir {first} ilaa {last}. {skip}, {back}, {pause}",
    "SKIP": "DHAAF",
    "START": "START",
    "STOP": "JOOJI",
    "menu_stop": "Jooji dhammaan fariimaha",
    "menu_pain": "Noo sheeg xanuunkaaga hadda",
    "attendance_thanks": "Waad ku mahadsan tahay inaad noo sheegtay. Waan ku waayi doonnaa {when}.",
    "crisis": "Waad ku mahadsan tahay inaad noo sheegtay. Kani waa khad otomaatig ah, lamana "
    "daawado mar walba. Haddii laga yaabo inaad isdhaawacdo, hadda wac 911. Waqti kasta waad "
    "wici kartaa 988 si aad ula hadasho la-taliye, oo codso turjubaan: 988 wuxuu leeyahay "
    "turjubaanno ku hadla in ka badan 200 luqadood. Kooxdayadu waxay kula soo xiriiri doontaa "
    "saacadaha shaqada.",
    "thank_you": "Mahadsanid! Jawaabahaaga waa la keydiyay. Kooxdaada daryeelku way arki doontaa "
    "ka hor booqashadaada xigta.",
    "reprompt_not_choice": "Taasi ma aha mid ka mid ah doorashooyinka. Fadlan ku jawaab lambar "
    "u dhexeeya {first} ilaa {last}.",
    "idle": "Hadda su'aalo kuu ma jiraan. Soo dir {help} si aad u hesho caawimaad.",
    "handout_safety": "Fariimahan lama daawado mar walba. Xaalad degdeg ah wac 911, ama wac 988 "
    "(turjubaanno ku hadla in ka badan 200 luqadood).",
    "handout_code": "Koodhkani hal mar ayuu shaqeeyaa, ilaa {date}. Qarsoodi u hay.",
    "first_question": "Tani waa su'aasha koowaad.",
    "link_bad": "Xiriirkani ma shaqeynayo. Fadlan hubi, ama wac rugta caafimaadka {phone}.",
    "link_expired": "Xiriirkan waqtigiisii wuu dhacay. Fadlan rugta caafimaadka ka codso mid "
    "cusub {phone}.",
    "link_used": "Xiriirkan hore ayaa loo isticmaalay. Fadlan rugta caafimaadka ka codso mid "
    "cusub {phone}.",
    "question_closed": "Su'aashan waa la xiray. Fadlan ka jawaab su'aasha ugu dambeysay.",
    "refused": "Su'aalahan weli kuma diyaarsana luqaddaada. Kooxdayadu arrintan kaala soo "
    "xiriiri doontaa.",
    "video": "Muuqaal: {link}",
    "distress": "Waan ka xunnahay waxa kugu dhacaya. Kooxdayadu waxay arki doontaa fariintaada "
    "saacadaha shaqada. Haddii ay ka sii darto ama aadan dareemin ammaan, wac 911, ama wac 988 "
    "oo codso turjubaan: 988 wuxuu leeyahay turjubaanno ku hadla in ka badan 200 luqadood.",
    "call_back": "Waxaan ka codsan doonnaa xubin kooxda ka mid ah inay ku soo wacdo saacadaha "
    "shaqada. Xaalad degdeg ah wac 911.",
    "telegram_welcome": "Ku soo dhowow {program}. Wadahadalkan hadda wuxuu ku xiran yahay "
    "kooxdaada daryeelka. Halkan ayaan kuugu soo diri doonnaa su'aalahaaga iyo xusuusinta. "
    "Wadahadallada Telegram si buuxda uma qarsoona: Telegram iyo qof kasta oo isticmaala "
    "taleefankan way akhrin karaan. Soo dir /stop waqti kasta si aad u joojiso. Caawimaad: "
    "{phone}.",
    "which_language": "Luqaddee ayaad rabtaa?",
    "which_questionnaire": "Su'aalahee ayaad rabtaa inaad ka jawaabto?",
    "YES": "HAA",
    "demo_intro": "Waxaad tahay bukaanka tijaabada {study_id}. Qor jawaabahaaga; sadar madhan "
    "ama Ctrl-D ayaa dhammeynaya tijaabada.",
    "can_skip": "Waxaad soo diri kartaa {skip} si aad su'aashan u dhaafto.",
    "skipped_before": "Su'aashan hore ayaad u dhaafay.",
    "skipped_offer": [
        "Waxaad dhaafay {count} su'aal. Hadda ma ka jawaabaysaa? {yes} / {no}",
        "Waxaad dhaafay {count} su'aalood. Hadda ma ka jawaabaysaa? {yes} / {no}",
    ],
    "answer_was": "Jawaabtaadu waxay ahayd: {answer}.",
    "your_answer": "Jawaabtaada: {answer}",
    "menu_pain_scale": "Xanuunkaaga, 0 ilaa 10",
    "handout_study_number": "Lambarkaaga daraasadda: {study_id}",
    "day_at_time": "{day} saacadda {time}",
    "help_text": "{program}. Caawimaad: {phone}, {hours}. Fariimaha lama daawado 24/7. Degdeg: "
    "wac 911. Xiisad: wac 988 (turjubaanno in ka badan 200 luqadood). Soo dir {stop} si aad u "
    "joojiso, {language} si aad luqadda u beddesho.",
    "reminder_alumni": "{program}: xusuusin, kooxda ardaydii hore waxay kulmaysaa {when}.",
    "reminder_group": "{program}: xusuusin, kooxdaadu waxay kulmaysaa {when}.",
    "sms_optin_ask": "{program}: soo dir {start} si aad u hesho su'aalo caafimaad iyo "
    "xusuusin koox, 1-3 fariimood toddobaadkii. Kharash fariin iyo xog ayaa laga yaabaa. "
    "Fariimuhu qarsoodi ma aha lamana daawado 24/7. Degdeg: 911. Xiisad: wac 988. Soo dir {help} "
    "caawimaad, {stop} si aad u joojiso.",
    "quarantined": "{program}: raalli ahaw, ma aanan farsamayn karin fariintaadii ugu "
    "dambeysay. Kooxda daryeelka waa la ogeysiiyay. Sidoo kale waad wici kartaa {phone}.",
    "sms_signed_up": "{program}: mahadsanid, waad is diiwaangelisay. Waxaan kuu soo qori "
    "doonnaa marka su'aalo kuu jiraan. Soo dir {help} caawimaad, {stop} si aad u joojiso.",
    "alumni_moved": "{program}: kulanka ardaydii hore ee {old} waxaa loo wareejiyay {new}.",
    "alumni_cancelled": "{program}: kulanka ardaydii hore ee {when} waa la joojiyay.",
    "telegram_not_linked": "{program}: wadahadalkan kuma xirna barnaamijka. Si aad ugu soo "
    "biirto, fur xiriirka rugtaada caafimaad, ama wac {phone}.",
    "sms_not_enrolled": "{program}: lambarkan lama diiwaangelin. Si aad ugu soo biirto, fadlan "
    "weydii rugta caafimaadka {phone}.",
    "sms_reply_start": "{program}: si aad u hesho fariimahayaga, fadlan soo dir {start}. Soo dir "
    "{stop} si aad u joojiso.",
    "welcome_back": "{program}: ku soo dhowow mar kale. Mar kale ayaad heli doontaa fariimo. "
    "Soo dir {stop} si aad u joojiso.",
    "questions_waiting": "{program}: su'aalo ayaa ku sugaya. Soo dir {resume} si aad uga jawaabto.",
    "stopped": "{program}: fariimo dambe ma heli doontid. Soo dir {start} si aad mar kale ugu "
    "soo biirto.",
    "group_moved": "{program}: kooxdaadii {old} waxaa loo wareejiyay {new}.",
    "group_cancelled": "{program}: kooxdaadii {when} waa la joojiyay.",
    "survey_intro": [
        "{program}: {title}. {count} su'aal.",
        "{program}: {title}. {count} su'aalood.",
    ],
    # issue 12 (crisis hold released) and issue 19b (no help hours in the language)
    "hold_released": "Waad ku mahadsan tahay inaad la hadashay kooxdayada. Waan ku faraxsanahay inaad nala soo xiriirtay. Su'aaluhu waxay ka sii socdaan halkii aan ka joognay.",
    "help_text_no_hours": "{program}. Caawimaad: {phone}. Fariimaha lama daawado 24/7. Degdeg: wac 911. Xiisad: wac 988 (turjubaanno in ka badan 200 luqadood). Soo dir {stop} si aad u joojiso, {language} si aad luqadda u beddesho.",
    "handout_questions_no_hours": "Su'aalo ma qabtaa? Wac {phone}.",
    # issue 14: a battery answered in sittings
    "NEXT": "XIGA",
    "sitting_part": "Qaybta {part} ee {parts}.",
    "sitting_end": "Taasi waxay ahayd qaybta {part} ee {parts}. Qaybta {next_part} waxay imaan doontaa {when}. Soo dir {next} si aad hadda u bilowdo.",
    "sitting_later": "Qaybta xigta ee su'aalahaagu way iman doontaa goor dambe. Soo dir {next} si aad hadda u bilowdo.",
    "today_at": "maanta saacadda {time}",
    "tomorrow_at": "berri saacadda {time}",
    "sitting_expired": "In ka badan 3 maalmood ayaa ka soo wareegtay markii aad bilowday su'aalahan. Jawaabuhu waa inay ka yimaadaan isla maalmahaas, sidaa darteed qaar ka mid ah ayaan mar kale ku weydiin doonnaa.",
    # issue 12 (draft, needs the native-speaker review like the rest)
    "please_type": "Fadlan qor jawaabtaada. Adeeggani wuxuu akhrin karaa qoraal keliya, ma aha fariimo cod ah, sawirro ama istiikarro.",
}
