"""Console exports are safe and useful: formulas neutralised in CSV and XLSX
(OWASP CSV injection), dates as dates, a frozen filterable header, widths,
and names and addresses instead of ids. Files are opened with csv and
openpyxl, as a supervisor's spreadsheet would."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from rules.idnumber import check_digit
from server.services import services
from tests import fielddocs as fd
from tests.api import PASSWORD
from tests.console_client import browser_for, console_app, write  # noqa: F401

PAYLOADS = ['=HYPERLINK("http://evil.example/h","户主点此")', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def exported(console_app):  # noqa: F811
    """Households of g1 whose heads and visit notes are formula payloads,
    visited by 李娜 (w7) in grid 一网格."""
    ext = services(console_app)
    ext.directory.put_grid("g1", "一网格", "c1")
    ext.accounts.create("w7", PASSWORD, "worker", display_name="李娜")
    ext.directory.assign("w7", grid="g1")
    docs = []
    for n, payload in enumerate(PAYLOADS):
        docs.append(fd.household("g1", f"p{n}", head=payload, colour="red"))
        docs.append(fd.visit("g1", f"p{n}", by="w7", notes=payload, follow_up_on="2026-12-24"))
    write(console_app, docs)
    return browser_for(console_app, "s1")


def _csv(browser, url):
    resp = browser.get(url)
    assert resp.status_code == 200
    return list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))


def _sheet(browser, url):
    resp = browser.get(url)
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data)).active


def test_csv_exports_neutralise_formula_payloads(exported):
    rows = _csv(exported, "/console/exports/households.csv?grid=g1")
    heads = {row[3] for row in rows[1:]}
    assert {"'" + p for p in PAYLOADS} <= heads
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in rows for cell in row)
    notes = {row[12] for row in _csv(exported, "/console/exports/visits.csv?grid=g1")[1:]}
    assert {"'" + p for p in PAYLOADS} <= notes


def test_xlsx_exports_hold_payloads_as_text_never_as_formulas(exported):
    sheet = _sheet(exported, "/console/exports/households.xlsx?grid=g1")
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    heads = {row[3].value: row[3] for row in sheet.iter_rows(min_row=2)}
    for payload in PAYLOADS:
        # Excel keeps a lone CR as a line break in text; the text is the worker's.
        found = heads.get(payload) or heads.get(payload.replace("\r", "\n"))
        assert found is not None and found.data_type == "s" and found.quotePrefix, payload


def test_xlsx_has_dates_widths_a_frozen_header_and_a_filter(exported):
    sheet = _sheet(exported, "/console/exports/visits.xlsx?grid=g1")
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    at, follow = header.index("走访时间"), header.index("随访日期")
    assert all(isinstance(row[at], datetime) for row in rows)
    assert {row[follow] for row in rows if row[0].startswith("visit:g1:") and
            row[header.index("网格员")] == "李娜"} == {datetime(2026, 12, 24)}
    assert sheet.cell(row=2, column=at + 1).number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:P{len(rows) + 1}"
    assert sheet.column_dimensions["A"].width > 20 and sheet.column_dimensions["M"].width >= 30
    assert sheet["A1"].font.b


def test_exports_name_grids_workers_and_addresses(exported):
    rows = _csv(exported, "/console/exports/visits.csv?grid=g1")
    assert rows[0][1:5] == ["网格", "地址", "户主", "网格员"]
    mine = [row for row in rows[1:] if row[4] == "李娜"]
    assert len(mine) == len(PAYLOADS)
    assert {row[1] for row in rows[1:]} == {"一网格"}
    assert all(row[2].startswith("3号楼 2单元 p") for row in mine)
    households = _csv(exported, "/console/exports/households.csv?grid=g1")
    assert {row[1] for row in households[1:]} == {"一网格"}
    requests = _csv(exported, "/console/exports/requests.csv?grid=g1")
    assert requests[0][2] == "地址" and requests[1][2] == "3号楼 2单元 h1"


def test_exports_in_english_and_out_of_scope_grids_stay_empty(exported):
    exported.get("/console/lang/en")
    header = _csv(exported, "/console/exports/visits.csv")[0]
    assert header[:5] == ["ID", "Grid", "Address", "Head", "Worker"]
    assert len(_csv(exported, "/console/exports/visits.csv?grid=g3")) == 1


def test_id_numbers_travel_with_phones_in_the_households_export_only(console_app):  # noqa: F811
    number = "11010119480312001" + check_digit("11010119480312001")
    members = [{"id": "m1", "name": "张桂兰", "birth_year": 1948, "id_number": number},
               {"id": "m2", "name": "李建国", "birth_year": 1947}]
    write(console_app, [fd.household("g1", "id1", members=members, colour="red"),
                        fd.household("g1", "id2"),
                        fd.visit("g1", "id1", notes="复诊")])
    s1 = browser_for(console_app, "s1")
    rows = _csv(s1, "/console/exports/households.csv?grid=g1")
    header = rows[0]
    assert header[4:7] == ["电话", "身份证号", "成员"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["household:g1:id1"][5] == f"张桂兰 {number}"   # in full, as the phone is
    assert by_id["household:g1:id1"][4] == "138 0013 8000"
    assert by_id["household:g1:id2"][5] == "" and by_id["household:g1:id2"][6] == "1"
    sheet = _sheet(s1, "/console/exports/households.xlsx?grid=g1")
    assert [c.value for c in sheet[1]][5] == "身份证号"
    for kind in ("visits", "requests"):
        text = s1.get(f"/console/exports/{kind}.csv?grid=g1").data.decode("utf-8-sig")
        assert number not in text and "身份证号" not in text
    from server.accounts.accesslog import access_log
    logged = access_log(services(console_app).serverdb).list(action="export")
    numbers = [(r["detail"]["kind"], r["detail"].get("numbers")) for r in logged]
    assert ("households", ["phone", "id_number"]) in numbers and ("visits", None) in numbers
    assert number not in str(logged)
