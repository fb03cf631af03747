"""Kirundi bot wording (status in locales/languages.yaml: draft, written by the project).

Of all the drafts this one most needs a native speaker: it was written with the least support
(Kirundi is close to Kinyarwanda; check that no Kinyarwanda forms slipped in). Review first:
crisis, distress, holding and HELP texts, then the keywords (HAGARIKA, UBUFASHA, SIMBUKA,
SUBIRA, RUHUKA, BANDANYA, URURIMI).
"""

NAMED: dict[str, str | list[str]] = {
    "handout_step1": "1. Ugurura kamera ya terefone yawe uyerekeze kuri kode iri hejuru.",
    "handout_step2": "2. Ugurura umurongo (link) yerekana: Telegram izokwugururira ikiganiro cacu.",
    "handout_step3": "3. Kanda Tangura. Tuzokurungikira ibibazo vyawe aho.",
    "trend_start": "Mu ntango: {start}.",
    "BACK": "SUBIRA",
    "C": "C",
    "menu_language": "Hindura ururimi",
    "choose_language": "Hitamwo ururimi:",
    "demo_finished": "Akarorero karangiye. Inyishu zawe ziri muri {database}.",
    "menu_go_on": "Bandanya n'ibibazo",
    "HELP": "UBUFASHA",
    "menu_help": "Ubufasha n'ingene woshikira ivuriro",
    "language_set": "Guhera ubu nzokwandikira mu Kirundi.",
    "handout_title": "Twifatanye kuri Telegram",
    "menu_join": "Injira ukoresheje umurongo w'ivuriro ryawe, canke usubire utangure",
    "LANGUAGE": "URURIMI",
    "NO": "OYA",
    "handout_no_camera": "Nta kamera ufise? Andika uyu murongo kuri terefone yawe: {link}",
    "not_validated": "Icitonderwa: ubu buhinduzi ntiburemezwa.",
    "holding": "Umugwi wacu warabimenyeshejwe kandi uzokuvugisha. Ibibazo vyahagaritswe gushika "
    "ico gihe. Ingorane yihutirwa: hamagara 911. Ingorane ikomeye: hamagara 988 usabe "
    "umusobanuzi.",
    "PAUSE": "RUHUKA",
    "trend_today": "Ububabare bw'uyu munsi: {today} kuri 10.",
    "menu_pause": "Hagarika ibibazo akanya gato",
    "paused": "Vyahagaritswe. Inyishu zawe zabitswe. Rungika {resume} niwaba witeguye.",
    "place": "Ahantu: {place}.",
    "reprompt": "Turagusavye wishure inomero iri hagati ya {first} na {last}.",
    "yes_or_no": "Turagusavye wishure {yes} canke {no}.",
    "reprompt_one_number": "Turagusavye urungike inomero imwe gusa, kuva kuri {first} gushika "
    "kuri {last}.",
    "reprompt_whole": "Turagusavye ukoreshe inomero yuzuye kuva kuri {first} gushika kuri {last}.",
    "handout_questions": "Ufise ibibazo? Hamagara {phone} ({hours}).",
    "question_number": "I{number}/{total}.",
    "RESUME": "BANDANYA",
    "recorded": "Vyanditswe: {answer}. Si vyo? Rungika {undo}.",
    "removed": "Vyakuweho: {answer}. Turagusavye wishure kandi.",
    "reminder_cant": "Rungika {cant} niba udashobora kuza. Rungika {stop} kugira uhagarike "
    "ubutumwa.",
    "hint_short": "Rungika {first}-{last} canke {skip}",
    "hint": "Rungika kuva kuri {first} gushika kuri {last}. {skip}, {back}, {pause}",
    "SKIP": "SIMBUKA",
    "START": "START",
    "STOP": "HAGARIKA",
    "menu_stop": "Hagarika ubutumwa bwose",
    "menu_pain": "Tubwire ububabare bwawe ubu",
    "attendance_thanks": "Urakoze kutubwira. Tuzokwumva ko utahari {when}.",
    "crisis": "Urakoze kutubwira. Uyu ni umurongo ukora wenyene, ntukurikiranwa igihe cose. "
    "Niba ushobora kwigirira nabi, hamagara 911 ubu nyene. Ushobora guhamagara 988 igihe "
    "cose kugira uvugane n'umujanama, kandi usabe umusobanuzi: 988 ifise abasobanuzi mu "
    "ndimi zirenga 200. Umugwi wacu uzokuvugisha mu masaha y'akazi.",
    "thank_you": "Urakoze! Inyishu zawe zabitswe. Umugwi ukuvura uzozibona imbere y'uko "
    "uza kubonana na bo ubutaha.",
    "reprompt_not_choice": "Ivyo si kimwe mu vyo uhitamwo. Turagusavye wishure inomero iri "
    "hagati ya {first} na {last}.",
    "idle": "Nta bibazo bihari kuri wewe ubu. Rungika {help} kugira uronke ubufasha.",
    "handout_safety": "Ubu butumwa ntibukurikiranwa igihe cose. Mu ngorane yihutirwa hamagara "
    "911, canke hamagara 988 (abasobanuzi mu ndimi zirenga 200).",
    "handout_code": "Iyi kode ikora rimwe gusa, gushika {date}. Ntuyimenyeshe abandi.",
    "first_question": "Iki ni co kibazo ca mbere.",
    "link_bad": "Uyu murongo ntukora. Turagusavye uwusuzume, canke uhamagare ivuriro kuri {phone}.",
    "link_expired": "Igihe c'uyu murongo carangiye. Turagusavye usabe ivuriro uwundi mushasha "
    "kuri {phone}.",
    "link_used": "Uyu murongo waramaze gukoreshwa. Turagusavye usabe ivuriro uwundi mushasha "
    "kuri {phone}.",
    "question_closed": "Iki kibazo caraheze. Turagusavye wishure ikibazo giheruka.",
    "refused": "Uru rutonde rw'ibibazo ntiruraboneka mu rurimi rwawe. Umugwi wacu uzokuvugisha "
    "kuri ivyo.",
    "video": "Videwo: {link}",
    "distress": "Tubabajwe n'ivyo uriko uracamwo. Umugwi wacu uzobona ubutumwa bwawe mu masaha "
    "y'akazi. Niba bigenda birushiriza canke ukumva utari mu mutekano, hamagara 911, canke "
    "hamagara 988 usabe umusobanuzi: 988 ifise abasobanuzi mu ndimi zirenga 200.",
    "call_back": "Tuzosaba umwe mu bagize umugwi kuguhamagara mu masaha y'akazi. Mu ngorane "
    "yihutirwa hamagara 911.",
    "telegram_welcome": "Kaze muri {program}. Iki kiganiro ubu gifatanye n'umugwi ukuvura. "
    "Tuzokurungikira ibibazo n'ivyibutso aha. Ibiganiro vya Telegram si ibanga ryuzuye: "
    "Telegram n'uwo ari we wese akoresha iyi terefone barashobora kubisoma. Rungika /stop "
    "igihe cose kugira uhagarike. Ubufasha: {phone}.",
    "which_language": "Ushaka ururimi uruhe?",
    "which_questionnaire": "Ushaka kwishura urutonde rw'ibibazo uruhe?",
    "YES": "EGO",
    "demo_intro": "Uri umurwayi w'akarorero {study_id}. Andika inyishu zawe; umurongo utarimwo "
    "ikintu canke Ctrl-D birahagarika akarorero.",
    "can_skip": "Ushobora kurungika {skip} kugira usimbuke iki kibazo.",
    "skipped_before": "Wari wasimbutse iki kibazo imbere.",
    "skipped_offer": [
        "Wasimbutse ikibazo {count}. Ukishure ubu? {yes} / {no}",
        "Wasimbutse ibibazo {count}. Uvyishure ubu? {yes} / {no}",
    ],
    "answer_was": "Inyishu yawe yari: {answer}.",
    "your_answer": "Inyishu yawe: {answer}",
    "menu_pain_scale": "Ububabare bwawe, kuva 0 gushika 10",
    "handout_study_number": "Inomero yawe mu bushakashatsi: {study_id}",
    "day_at_time": "{day} isaha {time}",
    "help_text": "{program}. Ubufasha: {phone}, {hours}. Ubutumwa ntibukurikiranwa amasaha 24. "
    "Ingorane yihutirwa: hamagara 911. Ingorane ikomeye: hamagara 988 (abasobanuzi mu ndimi "
    "zirenga 200). Rungika {stop} guhagarika, {language} guhindura ururimi.",
    "reminder_alumni": "{program}: icibutso, umugwi w'abahoze bitaba uzohura {when}.",
    "reminder_group": "{program}: icibutso, umugwi wawe uzohura {when}.",
    "sms_optin_ask": "{program}: rungika {start} kugira uronke ibibazo vyerekeye amagara "
    "n'ivyibutso vy'umugwi, ubutumwa 1-3 ku ndwi. Amafaranga y'ubutumwa n'aya internet "
    "ashobora gusabwa. Ubutumwa si ibanga kandi ntibukurikiranwa amasaha 24. Ingorane "
    "yihutirwa: 911. Ingorane ikomeye: hamagara 988. Rungika {help} ku bufasha, {stop} "
    "guhagarika.",
    "quarantined": "{program}: mutubabarire, ntitwashoboye gutunganya ubutumwa bwawe "
    "buheruka. Umugwi ukuvura warabimenyeshejwe. Ushobora kandi guhamagara {phone}.",
    "sms_signed_up": "{program}: urakoze, wanditswe. Tuzokwandikira igihe hari ibibazo "
    "kuri wewe. Rungika {help} ku bufasha, {stop} guhagarika.",
    "alumni_moved": "{program}: inama y'abahoze bitaba yo ku {old} yimuriwe ku {new}.",
    "alumni_cancelled": "{program}: inama y'abahoze bitaba yo ku {when} yahagaritswe.",
    "telegram_not_linked": "{program}: iki kiganiro ntigifatanye na porogarama. Kugira "
    "winjire, ugurura umurongo w'ivuriro ryawe, canke uhamagare {phone}.",
    "sms_not_enrolled": "{program}: iyi nomero ntiyanditswe. Kugira winjire, turagusavye "
    "ubaze ivuriro kuri {phone}.",
    "sms_reply_start": "{program}: kugira uronke ubutumwa bwacu, turagusavye urungike {start}. "
    "Rungika {stop} guhagarika.",
    "welcome_back": "{program}: kaze kandi. Uzosubira kuronka ubutumwa. Rungika {stop} guhagarika.",
    "questions_waiting": "{program}: hari ibibazo bigutegereje. Rungika {resume} kugira uvyishure.",
    "stopped": "{program}: ntuzosubira kuronka ubutumwa. Rungika {start} kugira usubire winjire.",
    "group_moved": "{program}: umugwi wawe wo ku {old} wimuriwe ku {new}.",
    "group_cancelled": "{program}: umugwi wawe wo ku {when} wahagaritswe.",
    "survey_intro": [
        "{program}: {title}. Ikibazo {count}.",
        "{program}: {title}. Ibibazo {count}.",
    ],
    # issue 12 (crisis hold released) and issue 19b (no help hours in the language)
    "hold_released": "Urakoze kuvugana n'umugwi wacu. Turanezerewe kuko watwandikiye. Ibibazo birabandanya aho twari tugeze.",
    "help_text_no_hours": "{program}. Ubufasha: {phone}. Ubutumwa ntibukurikiranwa amasaha 24. Ingorane yihutirwa: hamagara 911. Ingorane ikomeye: hamagara 988 (abasobanuzi mu ndimi zirenga 200). Rungika {stop} guhagarika, {language} guhindura ururimi.",
    "handout_questions_no_hours": "Ufise ibibazo? Hamagara {phone}.",
    # issue 14: a battery answered in sittings
    "NEXT": "IKURIKIRA",
    "sitting_part": "Igice {part} kuri {parts}.",
    "sitting_end": "Ico cari igice {part} kuri {parts}. Igice {next_part} kizoza {when}. Rungika {next} kugira ugitangure ubu.",
    "sitting_later": "Igice gikurikira c'ibibazo vyawe kizoza mu nyuma. Rungika {next} kugira ugitangure ubu.",
    "today_at": "uyu munsi isaha {time}",
    "tomorrow_at": "ejo isaha {time}",
    "sitting_expired": "Hashize imisi irenga 3 utanguye ibi bibazo. Inyishu zikwiye kuba izo mu misi mikeya imwe, ni co gituma tuzogusubiriramwo bimwe muri vyo.",
    # issue 12 (draft, needs the native-speaker review like the rest)
    "please_type": "Turabasavye mwandike inyishu yanyu. Iki gikorwa gishobora gusoma gusa ivyanditswe, si ubutumwa bw'ijwi, amafoto canke ibishushanyo.",
}
