"""Swahili bot wording (status in locales/languages.yaml: draft, written by the project).

Standard (East African) Swahili. A native speaker must review first: crisis, distress, holding
and HELP texts, then the keywords (SITISHA, MSAADA, RUKA, RUDI, PUMZIKO, ENDELEA, LUGHA).
"""

NAMED: dict[str, str | list[str]] = {
    "handout_step1": "1. Fungua kamera ya simu yako na uielekeze kwenye msimbo ulio juu.",
    "handout_step2": "2. Fungua kiungo kinachoonekana: Telegram itafungua mazungumzo yetu.",
    "handout_step3": "3. Bonyeza Anza. Tutakutumia maswali yako hapo.",
    "trend_start": "Mwanzoni: {start}.",
    "BACK": "RUDI",
    "C": "C",
    "menu_language": "Badilisha lugha",
    "choose_language": "Chagua lugha:",
    "demo_finished": "Onyesho limekwisha. Majibu yako yamo katika {database}.",
    "menu_go_on": "Endelea na maswali",
    "HELP": "MSAADA",
    "menu_help": "Msaada na jinsi ya kuwasiliana na kliniki",
    "language_set": "Kuanzia sasa nitakuandikia kwa Kiswahili.",
    "handout_title": "Jiunge nasi kwenye Telegram",
    "menu_join": "Jiunge kwa kiungo cha kliniki yako, au anza upya",
    "LANGUAGE": "LUGHA",
    "NO": "HAPANA",
    "handout_no_camera": "Huna kamera? Andika kiungo hiki kwenye simu yako: {link}",
    "not_validated": "Kumbuka: tafsiri hii bado haijathibitishwa.",
    "holding": "Timu yetu imearifiwa na itawasiliana nawe. Maswali yamesimamishwa hadi wakati "
    "huo. Dharura: piga 911. Shida kubwa ya kihisia: piga 988 na uombe mkalimani.",
    "PAUSE": "PUMZIKO",
    "trend_today": "Maumivu leo: {today} kati ya 10.",
    "menu_pause": "Simamisha maswali kwa muda",
    "paused": "Imesimamishwa. Majibu yako yamehifadhiwa. Tuma {resume} ukiwa tayari.",
    "place": "Mahali: {place}.",
    "reprompt": "Tafadhali jibu kwa namba kuanzia {first} hadi {last}.",
    "yes_or_no": "Tafadhali jibu {yes} au {no}.",
    "reprompt_one_number": "Tafadhali tuma namba moja tu, kuanzia {first} hadi {last}.",
    "reprompt_whole": "Tafadhali tumia namba kamili kuanzia {first} hadi {last}.",
    "handout_questions": "Una maswali? Piga {phone} ({hours}).",
    "question_number": "S{number}/{total}.",
    "RESUME": "ENDELEA",
    "recorded": "Imerekodiwa: {answer}. Si sahihi? Tuma {undo}.",
    "removed": "Imeondolewa: {answer}. Tafadhali jibu tena.",
    "reminder_cant": "Tuma {cant} kama huwezi kuja. Tuma {stop} kusitisha ujumbe.",
    "hint_short": "Tuma {first}-{last} au {skip}",
    "hint": "Tuma {first} hadi {last}. {skip}, {back}, {pause}",
    "SKIP": "RUKA",
    "START": "START",
    "STOP": "SITISHA",
    "menu_stop": "Sitisha ujumbe wote",
    "menu_pain": "Tuambie maumivu yako sasa",
    "attendance_thanks": "Asante kwa kutujulisha. Tutakukosa {when}.",
    "crisis": "Asante kwa kutueleza. Hii ni laini ya kiotomatiki na haifuatiliwi kila wakati. "
    "Kama unaweza kutenda kwa mawazo ya kujidhuru, piga 911 sasa. Unaweza kupiga 988 wakati "
    "wowote kuongea na mshauri, na uombe mkalimani: 988 ina wakalimani wa lugha zaidi ya 200. "
    "Timu yetu itawasiliana nawe wakati wa saa za kazi.",
    "thank_you": "Asante! Majibu yako yamehifadhiwa. Timu yako ya matibabu itayaona kabla ya "
    "ziara yako ijayo.",
    "reprompt_not_choice": "Hilo si mojawapo ya machaguo. Tafadhali jibu kwa namba kuanzia "
    "{first} hadi {last}.",
    "idle": "Hakuna maswali kwako sasa hivi. Tuma {help} kupata msaada.",
    "handout_safety": "Ujumbe huu haufuatiliwi kila wakati. Wakati wa dharura piga 911, au piga "
    "988 (wakalimani wa lugha zaidi ya 200).",
    "handout_code": "Msimbo huu unafanya kazi mara moja tu, hadi {date}. Uweke siri.",
    "first_question": "Hili ni swali la kwanza.",
    "link_bad": "Kiungo hiki hakifanyi kazi. Tafadhali kikague, au piga simu kliniki kwa {phone}.",
    "link_expired": "Muda wa kiungo hiki umekwisha. Tafadhali omba kipya kutoka kliniki kwa "
    "{phone}.",
    "link_used": "Kiungo hiki kimeshatumika. Tafadhali omba kipya kutoka kliniki kwa {phone}.",
    "question_closed": "Swali hili limefungwa. Tafadhali jibu swali la karibuni zaidi.",
    "refused": "Dodoso hili bado halipatikani kwa lugha yako. Timu yetu itawasiliana nawe "
    "kuhusu jambo hili.",
    "video": "Video: {link}",
    "distress": "Tunasikitika kwamba unapitia hali hii. Timu yetu itaona ujumbe wako wakati wa "
    "saa za kazi. Hali ikizidi kuwa mbaya au ukijisikia si salama, piga 911, au piga 988 na "
    "uombe mkalimani: 988 ina wakalimani wa lugha zaidi ya 200.",
    "call_back": "Tutamwomba mshiriki wa timu akupigie simu wakati wa saa za kazi. Wakati wa "
    "dharura piga 911.",
    "telegram_welcome": "Karibu {program}. Mazungumzo haya sasa yameunganishwa na timu yako ya "
    "matibabu. Tutakutumia maswali na vikumbusho hapa. Mazungumzo ya Telegram si ya siri "
    "kabisa: Telegram na mtu yeyote anayetumia simu hii wanaweza kuyasoma. Tuma /stop wakati "
    "wowote kusitisha. Msaada: {phone}.",
    "which_language": "Unataka lugha gani?",
    "which_questionnaire": "Unataka kujibu dodoso lipi?",
    "YES": "NDIYO",
    "demo_intro": "Wewe ni mgonjwa wa onyesho {study_id}. Andika majibu yako; mstari mtupu au "
    "Ctrl-D unamaliza onyesho.",
    "can_skip": "Unaweza kutuma {skip} kuruka swali hili.",
    "skipped_before": "Uliruka swali hili awali.",
    "skipped_offer": [
        "Uliruka swali {count}. Ulijibu sasa? {yes} / {no}",
        "Uliruka maswali {count}. Uyajibu sasa? {yes} / {no}",
    ],
    "answer_was": "Jibu lako lilikuwa: {answer}.",
    "your_answer": "Jibu lako: {answer}",
    "menu_pain_scale": "Maumivu yako, 0 hadi 10",
    "handout_study_number": "Namba yako ya utafiti: {study_id}",
    "day_at_time": "{day} saa {time}",
    "help_text": "{program}. Msaada: {phone}, {hours}. Ujumbe haufuatiliwi saa 24. Dharura: "
    "piga 911. Shida kubwa: piga 988 (wakalimani wa lugha zaidi ya 200). Tuma {stop} "
    "kusitisha, {language} kubadilisha lugha.",
    "reminder_alumni": "{program}: kikumbusho, kikundi cha wahitimu kinakutana {when}.",
    "reminder_group": "{program}: kikumbusho, kikundi chako kinakutana {when}.",
    "sms_optin_ask": "{program}: tuma {start} kupokea maswali ya afya na vikumbusho vya kikundi, "
    "ujumbe 1-3 kwa wiki. Gharama za ujumbe na data zinaweza kutozwa. Ujumbe si wa siri na "
    "haufuatiliwi saa 24. Dharura: 911. Shida kubwa: piga 988. Tuma {help} kupata msaada, "
    "{stop} kusitisha.",
    "quarantined": "{program}: samahani, hatukuweza kushughulikia ujumbe wako wa mwisho. Timu "
    "ya matibabu imearifiwa. Unaweza pia kupiga {phone}.",
    "sms_signed_up": "{program}: asante, umejiandikisha. Tutakutumia ujumbe kukiwa na maswali "
    "kwako. Tuma {help} kupata msaada, {stop} kusitisha.",
    "alumni_moved": "{program}: mkutano wa wahitimu wa {old} umehamishwa hadi {new}.",
    "alumni_cancelled": "{program}: mkutano wa wahitimu wa {when} umefutwa.",
    "telegram_not_linked": "{program}: mazungumzo haya hayajaunganishwa na programu. Ili "
    "kujiunga, fungua kiungo kutoka kliniki yako, au piga {phone}.",
    "sms_not_enrolled": "{program}: namba hii haijasajiliwa. Ili kujiunga, tafadhali uliza "
    "kliniki kwa {phone}.",
    "sms_reply_start": "{program}: ili kupokea ujumbe wetu, tafadhali tuma {start}. Tuma {stop} "
    "kusitisha.",
    "welcome_back": "{program}: karibu tena. Utapokea ujumbe tena. Tuma {stop} kusitisha.",
    "questions_waiting": "{program}: kuna maswali yanakusubiri. Tuma {resume} kuyajibu.",
    "stopped": "{program}: hutapokea ujumbe tena. Tuma {start} kujiunga tena.",
    "group_moved": "{program}: kikundi chako cha {old} kimehamishwa hadi {new}.",
    "group_cancelled": "{program}: kikundi chako cha {when} kimefutwa.",
    "survey_intro": [
        "{program}: {title}. Swali {count}.",
        "{program}: {title}. Maswali {count}.",
    ],
    # issue 12 (crisis hold released) and issue 19b (no help hours in the language)
    "hold_released": "Asante kwa kuzungumza na timu yetu. Tunafurahi kwamba uliwasiliana nasi. Maswali yanaendelea pale tulipoishia.",
    "help_text_no_hours": "{program}. Msaada: {phone}. Ujumbe haufuatiliwi saa 24. Dharura: piga 911. Shida kubwa: piga 988 (wakalimani wa lugha zaidi ya 200). Tuma {stop} kusitisha, {language} kubadilisha lugha.",
    "handout_questions_no_hours": "Una maswali? Piga {phone}.",
    # issue 14: a battery answered in sittings
    "NEXT": "INAYOFUATA",
    "sitting_part": "Sehemu {part} kati ya {parts}.",
    "sitting_end": "Hiyo ilikuwa sehemu {part} kati ya {parts}. Sehemu {next_part} itakuja {when}. Tuma {next} kuianza sasa.",
    "sitting_later": "Sehemu inayofuata ya maswali yako itakuja baadaye. Tuma {next} kuianza sasa.",
    "today_at": "leo saa {time}",
    "tomorrow_at": "kesho saa {time}",
    "sitting_expired": "Zimepita zaidi ya siku 3 tangu uanze maswali haya. Majibu yanapaswa kutoka siku zile zile chache, kwa hiyo tutakuuliza baadhi yake tena.",
    # issue 12 (draft, needs the native-speaker review like the rest)
    "please_type": "Tafadhali andika jibu lako. Huduma hii inaweza kusoma maandishi yaliyoandikwa tu, si ujumbe wa sauti, picha wala stika.",
}
