"""XLSForm → form version (rules/xlsform.py, pyxform): the supported features
come through into the XForm and the question model, and a broken
spreadsheet is reported at its sheet, row and column, in Chinese and
English. Spreadsheets are made here with openpyxl (tests/xlsforms.py)."""

import pytest

from rules.schemas import validate
from rules.xlsform import XLSFormError, convert, describe, form_doc
from tests.fielddocs import stamp_time
from tests.xlsforms import EVERYTHING, book, q


def test_every_supported_feature_reaches_the_question_model():
    form = convert(book(EVERYTHING), "winter.xlsx")
    model = {entry["name"]: entry for entry in form["questions"]}
    assert [e["type"] for e in form["questions"]] == [
        "select_one", "text", "integer", "decimal", "date", "select_multiple", "calculate",
        "group", "text", "text", "repeat", "text", "integer", "note"]
    assert model["heating"] == {"name": "heating", "path": "/data/heating", "type": "select_one",
                                "label": {"zh": "家中是否有取暖", "en": "Heating at home"},
                                "list": "yn", "required": True}
    # XPath as the XForm's binds say it (the engine's), ${…} expanded
    assert model["why_cold"]["relevant"].replace(" ", "") == "/data/heating='no'"
    assert model["needs_count"]["calculation"].replace(" ", "") == "count-selected(/data/needs)"
    assert model["medicine_days"]["constraint_message"] == {"zh": "天数须在 0–365 之间",
                                                            "en": "Days must be 0 to 365"}
    assert model["contact_phone"]["parent"] == "/data/contact"
    assert model["member_age"]["path"] == "/data/members/member_age"
    assert model["member_age"]["parent"] == "/data/members"
    assert form["choices"]["needs"][1] == {"name": "food", "label": {"zh": "食品", "en": "Food"}}
    assert form["languages"] == ["en", "zh"] and form["title"] == "冬季摸排"
    assert 'jr:template=""' in form["xform"] and "/data/members/member_name" in form["xform"]


def test_a_converted_form_is_a_valid_form_version_document():
    form = convert(book(EVERYTHING), "winter.xlsx")
    doc = form_doc("campaign:community:c1:winter", 2, form, "s1", stamp_time())
    assert doc["_id"] == "form:community:c1:winter:2" and doc["grid"] == "community:c1"
    assert validate(doc) is None


def test_labels_in_chinese_only_are_enough():
    form = convert(book([["text", "name", "姓名"]], choices=False, settings=False,
                        survey_head=["type", "name", "label"]), "plain.xlsx")
    assert form["questions"] == [{"name": "name", "path": "/data/name", "type": "text",
                                  "label": {"zh": "姓名"}}]


# (name, spreadsheet, sheet, row, column, words in the Chinese message)
BROKEN = [
    ("unsupported type", book(EVERYTHING[:3] + [q("geopoint", "where", "位置")]),
     "survey", 5, "type", "不支持的题型“geopoint”"),
    ("misspelt type", book([q("integr", "age", "年龄")]), "survey", 2, "type", "不支持的题型"),
    ("select without a list name", book([q("select_one", "heating", "取暖")]),
     "survey", 2, "type", "选项列表名"),
    ("select of a missing list", book([q("text", "a", "甲"), q("select_one nolist", "b", "乙")]),
     "survey", 3, "type", "没有选项列表“nolist”"),
    ("question without a name", book([q("text", "a", "甲"), q("text", "", "乙")]),
     "survey", 3, "name", "须有名称"),
    ("name used twice", book([q("text", "a", "甲"), q("integer", "b", "乙"), q("text", "a", "丙")]),
     "survey", 4, "name", "与第 2 行重复"),
    ("relevant naming no question",
     book([q("integer", "a", "甲"), q("text", "b", "乙", relevant="${zz} > 1")]),
     "survey", 3, "relevant", "引用了不存在的题目“zz”"),
    ("constraint naming no question",
     book([q("integer", "a", "甲", constraint=". < ${nope}")]),
     "survey", 2, "constraint", "引用了不存在的题目“nope”"),
    ("invalid name", book([q("text", "1st", "甲")]), "survey", 2, "name", "名称不合规"),
    ("no name column", book([["text", "甲"]], survey_head=["type", "label"]),
     "survey", 1, "name", "缺少 name 列"),
    ("no survey sheet", book([q("text", "a", "甲")], sheet="questions"), None, None, None,
     "缺少 survey 工作表"),
    ("not a spreadsheet", b"PK\x03\x04 this is no zip", None, None, None, "不是有效的 .xlsx 文件"),
]


@pytest.mark.parametrize("name, data, sheet, row, column, words", BROKEN,
                         ids=[case[0] for case in BROKEN])
def test_a_broken_spreadsheet_is_reported_at_its_sheet_row_and_column(
        name, data, sheet, row, column, words):
    with pytest.raises(XLSFormError) as caught:
        convert(data, "broken.xlsx")
    problems = caught.value.problems
    assert (problems[0]["sheet"], problems[0]["row"], problems[0]["column"]) == (sheet, row, column)
    assert words in problems[0]["zh"]
    assert problems[0]["en"] and not any("\u4e00" <= ch <= "\u9fff" for ch in problems[0]["en"])


def test_every_problem_of_a_sheet_is_reported_at_once():
    data = book([q("geopoint", "where", "位置"), q("text", "", "乙"), q("select_one x", "c", "丙")])
    with pytest.raises(XLSFormError) as caught:
        convert(data, "broken.xlsx")
    assert [(p["row"], p["column"]) for p in caught.value.problems] == [
        (2, "type"), (3, "name"), (4, "type")]


def test_a_problem_reads_as_a_place_in_both_languages():
    text = describe({"sheet": "survey", "row": 7, "column": "relevant",
                     "zh": "引用了不存在的题目“zz”", "en": "no question zz"})
    assert text == ("survey 表第 7 行 relevant 列：引用了不存在的题目“zz” / "
                    "sheet survey, row 7, column relevant: no question zz")
