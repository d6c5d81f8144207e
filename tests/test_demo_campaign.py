"""The demo's campaign (seed-demo): 冬季重点人群关爱摸排 from its XLSForm in
docs/, on every tablet of the community, with its first answer in grid g1."""

from rules.answers import check
from rules.xlsform import convert
from server import create_app
from server.cli import demo, demo_campaign
from tests.api import Couch

CAMPAIGN = "campaign:community:shijia:winter2026"
FORM = "form:community:shijia:winter2026:1"
ANSWER = "answer:g1:winter2026-1-1-101"


def test_the_demo_xlsform_asks_what_the_issue_names():
    form = convert(demo_campaign.XLSFORM.read_bytes(), "campaign-winter.xlsx")
    names = {q["name"] for q in form["questions"]}
    assert {"heating", "medicine_days", "contact_name", "contact_phone", "needs", "members",
            "card_given"} <= names
    types = {q["type"] for q in form["questions"]}
    assert {"select_one", "select_multiple", "integer", "text", "group", "repeat", "note",
            "calculate"} <= types
    assert form["title"] == "冬季重点人群关爱摸排" and form["languages"] == ["en", "zh"]


def test_the_demo_answer_fits_and_a_wrong_one_would_not():
    form = convert(demo_campaign.XLSFORM.read_bytes(), "campaign-winter.xlsx")
    assert check(demo_campaign.VALUES, form) == []
    no_card = {k: v for k, v in demo_campaign.VALUES.items() if k != "card_given"}
    assert [(p["field"], p["rule"], p["zh"]) for p in check(no_card, form)] == [
        ("values.card_given", "required", "请确认是否已发放联系卡")]


def test_seed_demo_puts_the_campaign_on_every_tablet_of_the_community(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path)})
    demo.seed(app)
    wangfang = Couch(app, auth=("wangfang", demo.password("wangfang")))
    liqiang = Couch(app, auth=("liqiang", demo.password("liqiang")))
    ids_of = lambda c: {r["id"] for r in c.get("field/_changes").get_json()["results"]}  # noqa: E731
    assert {CAMPAIGN, FORM, ANSWER} <= ids_of(wangfang)
    assert {CAMPAIGN, FORM} <= ids_of(liqiang) and ANSWER not in ids_of(liqiang)
    campaign = wangfang.get(f"field/{CAMPAIGN}").get_json()
    assert campaign["form"] == FORM and campaign["name"] == "冬季重点人群关爱摸排"
    assert demo.seed(app).written == 0                            # idempotent
