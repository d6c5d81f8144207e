"""Who looked at whom (issue 21, item 5): the console records who opened
which household's personal details and who exported what with which
filters; admins read it on the 访问记录 page, filtered by who, what, when
and household; exports carry the exporter's name and time. Real SQLite."""

import io
import json

import pytest
from openpyxl import load_workbook

from rules.idnumber import check_digit, mask
from server.accounts.accesslog import AccessLog
from server.serverdb import ServerDB
from server.services import services
from tests import fielddocs as fd
from tests.console_client import browser_for, console_app, write  # noqa: F401


def test_access_log_rows_filter_by_who_what_and_household(tmp_path):
    log = AccessLog(ServerDB(str(tmp_path / "s.sqlite")))
    log.record("s1", "supervisor", "household.view", "household:g1:h1", address="10.0.0.5")
    log.record("s1", "supervisor", "export", None, {"kind": "visits", "filters": {"grid": "g1"}})
    log.record("admin", "admin", "household.view", "household:g1:h2")
    assert log.count() == 3
    assert [r["household"] for r in log.list(user="s1", action="household.view")] == [
        "household:g1:h1"]
    assert [r["user"] for r in log.list(household="household:g1:h2")] == ["admin"]
    [export] = log.list(action="export")
    assert export["detail"] == {"kind": "visits", "filters": {"grid": "g1"}}
    assert log.count(since=export["at"] + 1) == 0
    with pytest.raises(ValueError, match="action"):
        log.record("s1", "supervisor", "peek", "household:g1:h1")


def test_opening_a_household_and_exporting_are_recorded_and_shown_to_admins(console_app):  # noqa: F811
    write(console_app, [fd.household("g1", "h7", head="赵大爷", phone="13812345678")])
    s1 = browser_for(console_app, "s1")
    assert s1.get("/console/households/household:g1:h7").status_code == 200
    resp = s1.get("/console/exports/households.xlsx?grid=g1&colour=red")
    assert resp.status_code == 200 and "-s1.xlsx" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    assert "s1" in book.properties.creator and book.properties.created is not None
    assert s1.get("/console/access").status_code == 403               # admins only

    admin = browser_for(console_app, "admin")
    page = admin.text("/console/access")
    assert "查看住户详情" in page and "household:g1:h7" in page and "导出" in page
    only_exports = admin.text("/console/access?action=export&user=s1")
    assert only_exports.count('<tr data-action="export">') == 1
    assert 'data-action="household.view"' not in only_exports
    assert '{"colour": "red"' in only_exports                           # the filters used
    by_household = admin.text("/console/access?household=household:g1:h7")
    assert by_household.count('<tr data-action="household.view">') == 1
    assert 'data-action="export"' not in by_household
    rows = services(console_app).serverdb
    from server.accounts.accesslog import access_log
    logged = access_log(rows).list()
    assert [(r["user"], r["action"], r["household"]) for r in logged] == [
        ("s1", "export", None), ("s1", "household.view", "household:g1:h7")]
    assert logged[0]["detail"]["filters"]["colour"] == "red"
    text = json.dumps(logged, ensure_ascii=False)
    assert "赵大爷" not in text and "13812345678" not in text          # no personal data in it
    assert admin.get("/console/access?action=peek").status_code == 400


def test_the_console_masks_a_phone_until_revealed_and_logs_the_reveal(console_app):  # noqa: F811
    write(console_app, [fd.household("g1", "h8", phone="138 1234 5678")])
    s1 = browser_for(console_app, "s1")
    page = s1.text("/console/households/household:g1:h8")
    assert "138****5678" in page and "138 1234 5678" not in page
    revealed = s1.text("/console/households/household:g1:h8?reveal=phone")
    assert "138 1234 5678" in revealed
    from server.accounts.accesslog import access_log
    rows = access_log(services(console_app).serverdb).list(household="household:g1:h8")
    assert [(r["action"], r["detail"]) for r in rows] == [
        ("reveal", {"field": "phone"}), ("household.view", {})]


def test_the_console_masks_an_id_number_until_revealed_and_logs_whose(console_app):  # noqa: F811
    number = "11010119480312001" + check_digit("11010119480312001")
    members = [{"id": "m1", "name": "张桂兰", "birth_year": 1948, "id_number": number},
               {"id": "m2", "name": "李建国", "birth_year": 1947}]
    write(console_app, [fd.household("g1", "h9", members=members)])
    s1 = browser_for(console_app, "s1")
    page = s1.text("/console/households/household:g1:h9")
    assert mask(number) in page and number not in page
    assert 'href="?reveal=id_number&amp;member=m1"' in page
    revealed = s1.text("/console/households/household:g1:h9?reveal=id_number&member=m1")
    assert number in revealed and "138 0013 8000" not in revealed   # the phone stays masked
    phone_only = s1.text("/console/households/household:g1:h9?reveal=phone")
    assert "138 0013 8000" in phone_only and number not in phone_only
    from server.accounts.accesslog import access_log
    rows = access_log(services(console_app).serverdb).list(household="household:g1:h9")
    assert [(r["action"], r["detail"]) for r in rows] == [
        ("reveal", {"field": "phone"}),
        ("reveal", {"field": "id_number", "member": "m1"}),
        ("household.view", {})]
    assert number not in json.dumps(rows)                      # the log names whose, not what
    admin = browser_for(console_app, "admin")
    assert "id_number" in admin.text("/console/access?action=reveal")
