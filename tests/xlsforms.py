"""XLSForm spreadsheets made in the test with openpyxl, as Excel or WPS would
save them: a survey sheet, a choices sheet, a settings sheet."""

import io

import openpyxl

SURVEY_HEAD = ["type", "name", "label::中文 (zh)", "label::English (en)", "required",
               "constraint", "constraint_message::中文 (zh)",
               "constraint_message::English (en)", "relevant", "calculation"]
CHOICES_HEAD = ["list_name", "name", "label::中文 (zh)", "label::English (en)"]
CHOICES = [["yn", "yes", "是", "Yes"], ["yn", "no", "否", "No"],
           ["needs", "medicine", "药品", "Medicine"], ["needs", "food", "食品", "Food"],
           ["needs", "doctor", "就医", "Doctor"]]


def q(type_, name, zh="", en="", required="", constraint="", msg_zh="", msg_en="",
      relevant="", calculation=""):
    """One survey row in SURVEY_HEAD's columns."""
    return [type_, name, zh, en, required, constraint, msg_zh, msg_en, relevant, calculation]


# Every supported feature once: text, integer, decimal, date, select_one,
# select_multiple, required, constraint with message, relevant, calculate,
# group, repeat, note.
EVERYTHING = [
    q("select_one yn", "heating", "家中是否有取暖", "Heating at home", "yes"),
    q("text", "why_cold", "为何没有取暖", "Why no heating", "yes", relevant="${heating} = 'no'"),
    q("integer", "medicine_days", "药品够用几天", "Days of medicine on hand", "yes",
      ". >= 0 and . <= 365", "天数须在 0–365 之间", "Days must be 0 to 365"),
    q("decimal", "room_temp", "室温（°C）", "Room temperature (°C)", "",
      ". > -20 and . < 40", "室温须在 -20–40 °C 之间", "Between -20 and 40 °C"),
    q("date", "checked_on", "核查日期", "Checked on", "", ". <= today()", "不能晚于今天",
      "Not after today"),
    q("select_multiple needs", "needs", "需求", "Needs"),
    q("calculate", "needs_count", calculation="count-selected(${needs})"),
    q("begin_group", "contact", "紧急联系人", "Emergency contact"),
    q("text", "contact_name", "姓名", "Name", "yes"),
    q("text", "contact_phone", "电话", "Phone", "", "regex(., '^[0-9+ -]{5,20}$')",
      "电话号码格式不正确", "Not a phone number"),
    q("end_group", ""),
    q("begin_repeat", "members", "家庭成员", "Members"),
    q("text", "member_name", "姓名", "Name", "yes"),
    q("integer", "member_age", "年龄", "Age", "", ". >= 0 and . <= 120", "年龄须在 0–120 之间",
      "Age must be 0 to 120"),
    q("end_repeat", ""),
    q("note", "thanks", "感谢配合", "Thank you"),
]
SETTINGS = [["form_title", "form_id", "version", "default_language"],
            ["冬季摸排", "winter", "1", "中文 (zh)"]]


def book(survey, choices=None, settings=None, survey_head=None, sheet="survey"):
    """The bytes of an .xlsx with these rows (``None`` leaves a sheet out)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in [survey_head or SURVEY_HEAD] + survey:
        ws.append(row)
    if choices is not False:
        c = wb.create_sheet("choices")
        for row in [CHOICES_HEAD] + (CHOICES if choices is None else choices):
            c.append(row)
    if settings is not False:
        s = wb.create_sheet("settings")
        for row in (SETTINGS if settings is None else settings):
            s.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
