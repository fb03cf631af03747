"""Arabic bot wording (Modern Standard Arabic; status in locales/languages.yaml: draft).

Written by the project. A native speaker must review first: crisis, distress, holding and HELP
texts, then the keywords (توقف، مساعدة، تخطي، رجوع، استراحة، متابعة، اللغة). The patient is
addressed with impersonal forms (يُرجى) where possible, otherwise the masculine singular, as is
usual in MSA forms. Bidi marks are not written here: bot/conversation/bidi.py adds them when a
message is rendered. The six plural forms follow Babel's order: 0, 1, 2, 3-10, 100-102, 11-99.
"""

NAMED: dict[str, str | list[str]] = {
    "handout_step1": "1. افتح كاميرا هاتفك ووجّهها نحو الرمز أعلاه.",
    "handout_step2": "2. افتح الرابط الذي يظهر: سيفتح تيليجرام محادثتنا.",
    "handout_step3": "3. اضغط على «ابدأ». سنرسل إليك أسئلتك هناك.",
    "trend_start": "في البداية: {start}.",
    "BACK": "رجوع",
    "C": "C",
    "menu_language": "تغيير اللغة",
    "choose_language": "اختر لغة:",
    "demo_finished": "انتهى العرض التجريبي. إجاباتك محفوظة في {database}.",
    "menu_go_on": "متابعة الأسئلة",
    "HELP": "مساعدة",
    "menu_help": "المساعدة وكيفية التواصل مع العيادة",
    "language_set": "سأكتب إليك باللغة العربية من الآن فصاعدًا.",
    "handout_title": "انضم إلينا على تيليجرام",
    "menu_join": "انضم برابط عيادتك، أو ابدأ من جديد",
    "LANGUAGE": "اللغة",
    "NO": "لا",
    "handout_no_camera": "لا توجد كاميرا؟ اكتب هذا الرابط في هاتفك: {link}",
    "not_validated": "ملاحظة: لم يتم التحقق من صحة هذه الترجمة بعد.",
    "holding": "تم إبلاغ فريقنا وسيتواصل معك. الأسئلة متوقفة حتى ذلك الحين. في حالة الطوارئ: "
    "اتصل بالرقم 911. في الأزمات: اتصل بالرقم 988 واطلب مترجمًا.",
    "PAUSE": "استراحة",
    "trend_today": "الألم اليوم: {today} من 10.",
    "menu_pause": "إيقاف الأسئلة مؤقتًا",
    "paused": "تم الإيقاف المؤقت. إجاباتك محفوظة. أرسل {resume} عندما تكون مستعدًا.",
    "place": "المكان: {place}.",
    "reprompt": "يُرجى الرد برقم من {first} إلى {last}.",
    "yes_or_no": "يُرجى الرد بـ {yes} أو {no}.",
    "reprompt_one_number": "يُرجى إرسال رقم واحد فقط، من {first} إلى {last}.",
    "reprompt_whole": "يُرجى استخدام عدد صحيح من {first} إلى {last}.",
    "handout_questions": "هل لديك أسئلة؟ اتصل بالرقم {phone} ({hours}).",
    "question_number": "س{number}/{total}.",
    "RESUME": "متابعة",
    "recorded": "تم التسجيل: {answer}. غير صحيح؟ أرسل {undo}.",
    "removed": "تم الحذف: {answer}. يُرجى الإجابة مرة أخرى.",
    "reminder_cant": "أرسل {cant} إذا لم تستطع الحضور. أرسل {stop} لإيقاف الرسائل.",
    "hint_short": "أرسل {first}-{last} أو {skip}",
    "hint": "أرسل رقمًا من {first} إلى {last}. {skip}، {back}، {pause}",
    "SKIP": "تخطي",
    "START": "START",
    "STOP": "توقف",
    "menu_stop": "إيقاف كل الرسائل",
    "menu_pain": "أخبرنا بمستوى ألمك الآن",
    "attendance_thanks": "شكرًا لإخبارنا. سنفتقدك يوم {when}.",
    "crisis": "شكرًا لأنك أخبرتنا. هذا خط آلي ولا تتم مراقبته طوال الوقت. إذا كنت قد تتصرف "
    "بناءً على أفكار إيذاء نفسك، فاتصل بالرقم 911 الآن. يمكنك الاتصال بالرقم 988 في أي وقت "
    "للتحدث مع مستشار، واطلب مترجمًا: يوفر 988 مترجمين بأكثر من 200 لغة. سيتواصل معك "
    "فريقنا خلال ساعات العمل.",
    "thank_you": "شكرًا لك! إجاباتك محفوظة. سيطّلع عليها فريق الرعاية الخاص بك قبل زيارتك القادمة.",
    "reprompt_not_choice": "هذا ليس أحد الخيارات. يُرجى الرد برقم من {first} إلى {last}.",
    "idle": "لا توجد أسئلة لك الآن. أرسل {help} للمساعدة.",
    "handout_safety": "لا تتم مراقبة هذه الرسائل طوال الوقت. في حالة الطوارئ اتصل بالرقم 911، "
    "أو اتصل بالرقم 988 (مترجمون بأكثر من 200 لغة).",
    "handout_code": "يعمل هذا الرمز مرة واحدة، حتى {date}. احتفظ به لنفسك.",
    "first_question": "هذا هو السؤال الأول.",
    "link_bad": "هذا الرابط لا يعمل. يُرجى التحقق منه، أو الاتصال بالعيادة على الرقم {phone}.",
    "link_expired": "انتهت صلاحية هذا الرابط. يُرجى طلب رابط جديد من العيادة على الرقم {phone}.",
    "link_used": "تم استخدام هذا الرابط من قبل. يُرجى طلب رابط جديد من العيادة على الرقم {phone}.",
    "question_closed": "هذا السؤال مغلق. يُرجى الإجابة عن أحدث سؤال.",
    "refused": "هذا الاستبيان غير متوفر بلغتك بعد. سيتواصل معك فريقنا بشأنه.",
    "video": "فيديو: {link}",
    "distress": "نأسف لأنك تمر بهذا. سيطّلع فريقنا على رسالتك خلال ساعات العمل. إذا ساءت "
    "حالتك أو شعرت بأنك غير آمن، فاتصل بالرقم 911، أو اتصل بالرقم 988 واطلب مترجمًا: يوفر "
    "988 مترجمين بأكثر من 200 لغة.",
    "call_back": "سنطلب من أحد أعضاء الفريق الاتصال بك خلال ساعات العمل. في حالة الطوارئ "
    "اتصل بالرقم 911.",
    "telegram_welcome": "مرحبًا بك في {program}. هذه المحادثة مرتبطة الآن بفريق الرعاية الخاص "
    "بك. سنرسل أسئلتك وتذكيراتك هنا. محادثات تيليجرام ليست خاصة تمامًا: يمكن لتيليجرام ولأي "
    "شخص يستخدم هذا الهاتف قراءتها. أرسل /stop في أي وقت للإنهاء. المساعدة: {phone}.",
    "which_language": "بأي لغة تريد أن نكتب إليك؟",
    "which_questionnaire": "أي استبيان تريد أن تجيب عنه؟",
    "YES": "نعم",
    "demo_intro": "أنت المريض التجريبي {study_id}. اكتب ردودك؛ سطر فارغ أو Ctrl-D ينهي العرض "
    "التجريبي.",
    "can_skip": "يمكنك إرسال {skip} لتخطي هذا السؤال.",
    "skipped_before": "لقد تخطيت هذا السؤال من قبل.",
    "skipped_offer": [
        "تخطيت {count} سؤال. هل تريد الإجابة الآن؟ {yes} / {no}",
        "تخطيت سؤالًا واحدًا ({count}). هل تريد الإجابة عنه الآن؟ {yes} / {no}",
        "تخطيت سؤالين ({count}). هل تريد الإجابة عنهما الآن؟ {yes} / {no}",
        "تخطيت {count} أسئلة. هل تريد الإجابة عنها الآن؟ {yes} / {no}",
        "تخطيت {count} سؤال. هل تريد الإجابة عنها الآن؟ {yes} / {no}",
        "تخطيت {count} سؤالًا. هل تريد الإجابة عنها الآن؟ {yes} / {no}",
    ],
    "answer_was": "كانت إجابتك: {answer}.",
    "your_answer": "إجابتك: {answer}",
    "menu_pain_scale": "ألمك، من 0 إلى 10",
    "handout_study_number": "رقمك في الدراسة: {study_id}",
    "day_at_time": "{day} الساعة {time}",
    "help_text": "{program}. المساعدة: {phone}، {hours}. لا تتم مراقبة الرسائل على مدار "
    "الساعة. الطوارئ: اتصل بالرقم 911. الأزمات: اتصل بالرقم 988 (مترجمون بأكثر من 200 لغة). "
    "أرسل {stop} للإنهاء، و{language} لتغيير اللغة.",
    "reminder_alumni": "{program}: تذكير، تجتمع مجموعة الخريجين {when}.",
    "reminder_group": "{program}: تذكير، تجتمع مجموعتك {when}.",
    "sms_optin_ask": "{program}: أرسل {start} لتلقي أسئلة صحية وتذكيرات بالمجموعة، من 1 إلى 3 "
    "رسائل أسبوعيًا. قد تنطبق رسوم الرسائل والبيانات. الرسائل ليست خاصة ولا تتم مراقبتها على "
    "مدار الساعة. الطوارئ: 911. الأزمات: اتصل بالرقم 988. أرسل {help} للمساعدة، و{stop} للإنهاء.",
    "quarantined": "{program}: عذرًا، لم نتمكن من معالجة رسالتك الأخيرة. تم إبلاغ فريق الرعاية. "
    "يمكنك أيضًا الاتصال بالرقم {phone}.",
    "sms_signed_up": "{program}: شكرًا لك، لقد تم تسجيلك. سنراسلك عندما تكون هناك أسئلة لك. "
    "أرسل {help} للمساعدة، و{stop} للإنهاء.",
    "alumni_moved": "{program}: تم نقل اجتماع الخريجين من {old} إلى {new}.",
    "alumni_cancelled": "{program}: تم إلغاء اجتماع الخريجين يوم {when}.",
    "telegram_not_linked": "{program}: هذه المحادثة غير مرتبطة بالبرنامج. للانضمام، افتح الرابط "
    "الذي أرسلته عيادتك، أو اتصل بالرقم {phone}.",
    "sms_not_enrolled": "{program}: هذا الرقم غير مسجل. للانضمام، يُرجى التواصل مع العيادة على "
    "الرقم {phone}.",
    "sms_reply_start": "{program}: لتلقي رسائلنا، أرسل {start}. أرسل {stop} للإنهاء.",
    "welcome_back": "{program}: مرحبًا بعودتك. ستصلك الرسائل مرة أخرى. أرسل {stop} للإنهاء.",
    "questions_waiting": "{program}: لديك أسئلة في انتظارك. أرسل {resume} للإجابة عنها.",
    "stopped": "{program}: لن تصلك رسائل أخرى. أرسل {start} للانضمام مرة أخرى.",
    "group_moved": "{program}: تم نقل مجموعتك من {old} إلى {new}.",
    "group_cancelled": "{program}: تم إلغاء مجموعتك يوم {when}.",
    "survey_intro": [
        "{program}: {title}. {count} سؤال.",
        "{program}: {title}. سؤال واحد ({count}).",
        "{program}: {title}. سؤالان ({count}).",
        "{program}: {title}. {count} أسئلة.",
        "{program}: {title}. {count} سؤال.",
        "{program}: {title}. {count} سؤالًا.",
    ],
    # issue 12 (crisis hold released) and issue 19b (no help hours in the language)
    "hold_released": "شكرًا لتحدثك مع فريقنا. يسعدنا أنك تواصلت معنا. ستستمر الأسئلة من حيث توقفنا.",
    "help_text_no_hours": "{program}. المساعدة: {phone}. لا تتم مراقبة الرسائل على مدار الساعة. الطوارئ: اتصل بالرقم 911. الأزمات: اتصل بالرقم 988 (مترجمون بأكثر من 200 لغة). أرسل {stop} للإنهاء، و{language} لتغيير اللغة.",
    "handout_questions_no_hours": "هل لديك أسئلة؟ اتصل بالرقم {phone}.",
    # issue 14: a battery answered in sittings
    "NEXT": "التالي",
    "sitting_part": "الجزء {part} من {parts}.",
    "sitting_end": "كان هذا الجزء {part} من {parts}. سيأتي الجزء {next_part} {when}. أرسل {next} لبدئه الآن.",
    "sitting_later": "الجزء التالي من أسئلتك سيأتي لاحقًا. أرسل {next} لبدئه الآن.",
    "today_at": "اليوم الساعة {time}",
    "tomorrow_at": "غدًا الساعة {time}",
    "sitting_expired": "مرت أكثر من 3 أيام منذ أن بدأت هذه الأسئلة. يجب أن تكون الإجابات من الأيام نفسها، لذلك سنطرح عليك بعضها مرة أخرى.",
    # issue 12 (draft, needs the native-speaker review like the rest)
    "please_type": "من فضلك اكتب إجابتك. هذه الخدمة تقرأ النص المكتوب فقط، وليس الرسائل الصوتية أو الصور أو الملصقات.",
}
