"""Vietnamese bot wording (status in locales/languages.yaml: draft, written by the project).

Addressed politely as "bạn" in general text and "Quý vị" nowhere (too formal for chat); a
native speaker should check the register. Review first: crisis, distress, holding and HELP
texts, then the keywords (DỪNG, GIÚP, BỎ QUA, QUAY LẠI, TẠM DỪNG, TIẾP TỤC, NGÔN NGỮ).
Vietnamese has no plural inflection: one form.
"""

NAMED: dict[str, str | list[str]] = {
    "handout_step1": "1. Mở camera điện thoại và hướng vào mã ở trên.",
    "handout_step2": "2. Mở đường dẫn hiện ra: Telegram sẽ mở cuộc trò chuyện với chúng tôi.",
    "handout_step3": "3. Nhấn Bắt đầu. Chúng tôi sẽ gửi câu hỏi cho bạn ở đó.",
    "trend_start": "Lúc đầu: {start}.",
    "BACK": "QUAY LẠI",
    "C": "C",
    "menu_language": "Đổi ngôn ngữ",
    "choose_language": "Chọn ngôn ngữ:",
    "demo_finished": "Bản chạy thử đã xong. Câu trả lời của bạn nằm trong {database}.",
    "menu_go_on": "Tiếp tục trả lời câu hỏi",
    "HELP": "GIÚP",
    "menu_help": "Trợ giúp và cách liên lạc với phòng khám",
    "language_set": "Từ giờ tôi sẽ viết cho bạn bằng tiếng Việt.",
    "handout_title": "Tham gia với chúng tôi trên Telegram",
    "menu_join": "Tham gia bằng đường dẫn của phòng khám, hoặc bắt đầu lại",
    "LANGUAGE": "NGÔN NGỮ",
    "NO": "KHÔNG",
    "handout_no_camera": "Không có camera? Nhập đường dẫn này vào điện thoại: {link}",
    "not_validated": "Lưu ý: bản dịch này chưa được thẩm định.",
    "holding": "Nhóm của chúng tôi đã được báo và sẽ liên lạc với bạn. Các câu hỏi tạm dừng "
    "đến lúc đó. Cấp cứu: gọi 911. Khủng hoảng: gọi 988 và xin thông dịch viên.",
    "PAUSE": "TẠM DỪNG",
    "trend_today": "Mức đau hôm nay: {today} trên 10.",
    "menu_pause": "Tạm dừng các câu hỏi",
    "paused": "Đã tạm dừng. Câu trả lời của bạn đã được lưu. Khi sẵn sàng, hãy gửi {resume}.",
    "place": "Địa điểm: {place}.",
    "reprompt": "Vui lòng trả lời bằng một số từ {first} đến {last}.",
    "yes_or_no": "Vui lòng trả lời {yes} hoặc {no}.",
    "reprompt_one_number": "Vui lòng chỉ gửi một số, từ {first} đến {last}.",
    "reprompt_whole": "Vui lòng dùng số nguyên từ {first} đến {last}.",
    "handout_questions": "Có thắc mắc? Gọi {phone} ({hours}).",
    "question_number": "C{number}/{total}.",
    "RESUME": "TIẾP TỤC",
    "recorded": "Đã ghi: {answer}. Không đúng? Gửi {undo}.",
    "removed": "Đã xóa: {answer}. Vui lòng trả lời lại.",
    "reminder_cant": "Gửi {cant} nếu bạn không đến được. Gửi {stop} để ngừng nhận tin.",
    "hint_short": "Gửi {first}-{last} hoặc {skip}",
    "hint": "Gửi từ {first} đến {last}. {skip}, {back}, {pause}",
    "SKIP": "BỎ QUA",
    "START": "START",
    "STOP": "DỪNG",
    "menu_stop": "Ngừng mọi tin nhắn",
    "menu_pain": "Cho chúng tôi biết mức đau bây giờ",
    "attendance_thanks": "Cảm ơn bạn đã báo cho chúng tôi. Chúng tôi sẽ nhớ bạn vào {when}.",
    "crisis": "Cảm ơn bạn đã cho chúng tôi biết. Đây là đường dây tự động và không được theo dõi "
    "liên tục. Nếu bạn có thể làm theo ý nghĩ tự làm hại bản thân, hãy gọi 911 ngay. Bạn có thể "
    "gọi 988 bất cứ lúc nào để nói chuyện với người tư vấn, và xin thông dịch viên: 988 có "
    "thông dịch viên cho hơn 200 ngôn ngữ. Nhóm của chúng tôi sẽ liên lạc với bạn trong giờ "
    "làm việc.",
    "thank_you": "Cảm ơn bạn! Câu trả lời đã được lưu. Nhóm chăm sóc sẽ xem trước lần khám "
    "tới của bạn.",
    "reprompt_not_choice": "Đó không phải là một lựa chọn. Vui lòng trả lời bằng một số từ "
    "{first} đến {last}.",
    "idle": "Hiện không có câu hỏi nào cho bạn. Gửi {help} để được giúp.",
    "handout_safety": "Tin nhắn này không được theo dõi liên tục. Khi cấp cứu hãy gọi 911, hoặc "
    "gọi 988 (thông dịch viên cho hơn 200 ngôn ngữ).",
    "handout_code": "Mã này chỉ dùng được một lần, đến {date}. Hãy giữ kín.",
    "first_question": "Đây là câu hỏi đầu tiên.",
    "link_bad": "Đường dẫn này không hoạt động. Vui lòng kiểm tra lại, hoặc gọi phòng khám "
    "số {phone}.",
    "link_expired": "Đường dẫn này đã hết hạn. Vui lòng xin phòng khám đường dẫn mới qua số "
    "{phone}.",
    "link_used": "Đường dẫn này đã được dùng. Vui lòng xin phòng khám đường dẫn mới qua số "
    "{phone}.",
    "question_closed": "Câu hỏi này đã đóng. Vui lòng trả lời câu hỏi mới nhất.",
    "refused": "Bảng câu hỏi này chưa có bằng ngôn ngữ của bạn. Nhóm của chúng tôi sẽ liên lạc "
    "với bạn về việc này.",
    "video": "Video: {link}",
    "distress": "Chúng tôi rất tiếc vì bạn đang trải qua điều này. Nhóm của chúng tôi sẽ xem tin "
    "nhắn trong giờ làm việc. Nếu tình trạng xấu đi hoặc bạn cảm thấy không an toàn, hãy gọi "
    "911, hoặc gọi 988 và xin thông dịch viên: 988 có thông dịch viên cho hơn 200 ngôn ngữ.",
    "call_back": "Chúng tôi sẽ nhờ một người trong nhóm gọi cho bạn trong giờ làm việc. Khi cấp "
    "cứu hãy gọi 911.",
    "telegram_welcome": "Chào mừng bạn đến với {program}. Cuộc trò chuyện này đã được kết nối "
    "với nhóm chăm sóc của bạn. Chúng tôi sẽ gửi câu hỏi và lời nhắc ở đây. Trò chuyện trên "
    "Telegram không hoàn toàn riêng tư: Telegram và bất kỳ ai dùng điện thoại này đều có thể "
    "đọc. Gửi /stop bất cứ lúc nào để ngừng. Trợ giúp: {phone}.",
    "which_language": "Bạn muốn dùng ngôn ngữ nào?",
    "which_questionnaire": "Bạn muốn trả lời bảng câu hỏi nào?",
    "YES": "CÓ",
    "demo_intro": "Bạn là bệnh nhân chạy thử {study_id}. Hãy gõ câu trả lời; một dòng trống "
    "hoặc Ctrl-D sẽ kết thúc.",
    "can_skip": "Bạn có thể gửi {skip} để bỏ qua câu hỏi này.",
    "skipped_before": "Trước đây bạn đã bỏ qua câu hỏi này.",
    "skipped_offer": [
        "Bạn đã bỏ qua {count} câu hỏi. Trả lời bây giờ? {yes} / {no}",
    ],
    "answer_was": "Câu trả lời của bạn là: {answer}.",
    "your_answer": "Câu trả lời của bạn: {answer}",
    "menu_pain_scale": "Mức đau của bạn, từ 0 đến 10",
    "handout_study_number": "Mã số nghiên cứu của bạn: {study_id}",
    "day_at_time": "{day} lúc {time}",
    "help_text": "{program}. Trợ giúp: {phone}, {hours}. Tin nhắn không được theo dõi 24/7. "
    "Cấp cứu: gọi 911. Khủng hoảng: gọi 988 (thông dịch viên cho hơn 200 ngôn ngữ). Gửi {stop} "
    "để ngừng, {language} để đổi ngôn ngữ.",
    "reminder_alumni": "{program}: nhắc nhở, nhóm cựu học viên họp vào {when}.",
    "reminder_group": "{program}: nhắc nhở, nhóm của bạn họp vào {when}.",
    "sms_optin_ask": "{program}: gửi {start} để nhận câu hỏi sức khỏe và lời nhắc họp nhóm, 1-3 "
    "tin mỗi tuần. Có thể mất phí tin nhắn và dữ liệu. Tin nhắn không riêng tư và không được "
    "theo dõi 24/7. Cấp cứu: 911. Khủng hoảng: gọi 988. Gửi {help} để được giúp, {stop} để "
    "ngừng.",
    "quarantined": "{program}: xin lỗi, chúng tôi không xử lý được tin nhắn vừa rồi của bạn. "
    "Nhóm chăm sóc đã được báo. Bạn cũng có thể gọi {phone}.",
    "sms_signed_up": "{program}: cảm ơn, bạn đã đăng ký. Chúng tôi sẽ nhắn tin khi có câu hỏi "
    "cho bạn. Gửi {help} để được giúp, {stop} để ngừng.",
    "alumni_moved": "{program}: buổi họp cựu học viên ngày {old} đã dời sang {new}.",
    "alumni_cancelled": "{program}: buổi họp cựu học viên ngày {when} đã bị hủy.",
    "telegram_not_linked": "{program}: cuộc trò chuyện này chưa được kết nối với chương trình. "
    "Để tham gia, hãy mở đường dẫn của phòng khám, hoặc gọi {phone}.",
    "sms_not_enrolled": "{program}: số này chưa được đăng ký. Để tham gia, vui lòng hỏi phòng "
    "khám qua số {phone}.",
    "sms_reply_start": "{program}: để nhận tin nhắn của chúng tôi, vui lòng gửi {start}. Gửi "
    "{stop} để ngừng.",
    "welcome_back": "{program}: chào mừng bạn trở lại. Bạn sẽ nhận tin nhắn trở lại. Gửi {stop} "
    "để ngừng.",
    "questions_waiting": "{program}: có câu hỏi đang chờ bạn. Gửi {resume} để trả lời.",
    "stopped": "{program}: bạn sẽ không nhận thêm tin nhắn. Gửi {start} để tham gia lại.",
    "group_moved": "{program}: buổi họp nhóm ngày {old} đã dời sang {new}.",
    "group_cancelled": "{program}: buổi họp nhóm ngày {when} đã bị hủy.",
    "survey_intro": [
        "{program}: {title}. {count} câu hỏi.",
    ],
    # issue 12 (crisis hold released) and issue 19b (no help hours in the language)
    "hold_released": "Cảm ơn bạn đã nói chuyện với nhóm của chúng tôi. Chúng tôi rất vui vì bạn đã liên lạc. Các câu hỏi sẽ tiếp tục từ chỗ chúng ta dừng lại.",
    "help_text_no_hours": "{program}. Trợ giúp: {phone}. Tin nhắn không được theo dõi 24/7. Cấp cứu: gọi 911. Khủng hoảng: gọi 988 (thông dịch viên cho hơn 200 ngôn ngữ). Gửi {stop} để ngừng, {language} để đổi ngôn ngữ.",
    "handout_questions_no_hours": "Có thắc mắc? Gọi {phone}.",
    # issue 14: a battery answered in sittings
    "NEXT": "TIẾP",
    "sitting_part": "Phần {part}/{parts}.",
    "sitting_end": "Đó là phần {part}/{parts}. Phần {next_part} sẽ đến {when}. Gửi {next} để bắt đầu ngay.",
    "sitting_later": "Phần tiếp theo của các câu hỏi sẽ đến sau. Gửi {next} để bắt đầu ngay.",
    "today_at": "hôm nay lúc {time}",
    "tomorrow_at": "ngày mai lúc {time}",
    "sitting_expired": "Đã hơn 3 ngày kể từ khi bạn bắt đầu các câu hỏi này. Câu trả lời cần trong cùng vài ngày, nên chúng tôi sẽ hỏi lại một số câu.",
    # issue 12 (draft, needs the native-speaker review like the rest)
    "please_type": "Vui lòng gõ câu trả lời của bạn. Dịch vụ này chỉ đọc được văn bản đã gõ, không đọc được tin nhắn thoại, ảnh hay nhãn dán.",
}
