"""Attention rules that mean it: a red household leaves 需走访 only by a
visit that met it and was not rejected (a rejected one brings it back), and
coverage counts the same visits; "overdue" means one thing for requests on
the dashboard tile, the board and the exports."""

import csv
import io
import re
from datetime import datetime, timedelta

from server.console import stats
from server.services import services
from tests import fielddocs as fd
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401


def due(browser):
    """Household ids on the 需走访 list (the households export with due=1)."""
    raw = browser.get("/console/exports/households.csv?due=1").data.decode("utf-8-sig")
    return {row[0] for row in list(csv.reader(io.StringIO(raw)))[1:]}


def week_coverage(app, grid):
    idx = services(app).console_index
    idx.refresh(field_db(app))
    return next(r["week"] for r in stats.coverage(idx.conn(), {grid}))


def test_only_a_met_visit_not_rejected_takes_a_red_household_off_the_list(console_app):
    red = "household:g1:r1"
    write(console_app, [fd.household("g1", "r1", colour="red")])
    s1 = browser_for(console_app, "s1")
    before = week_coverage(console_app, "g1")
    assert red in due(s1)
    write(console_app, [fd.visit("g1", "r1", by="w1", outcome="not_home", checks=[],
                                 colour_after="red", colour_reason="独居老人，需要关注")])
    assert red in due(s1) and week_coverage(console_app, "g1") == before
    met = fd.visit("g1", "r1", by="w1", colour_after="red", colour_reason="独居老人，需要关注")
    write(console_app, [met])
    assert red not in due(s1) and week_coverage(console_app, "g1") == before + 1
    assert s1.post(f"/console/visits/{met['_id']}", {"state": "rejected",
                                                    "comment": "未见到本人"}).status_code == 302
    assert red in due(s1) and week_coverage(console_app, "g1") == before
    assert s1.post(f"/console/visits/{met['_id']}", {"state": "approved"}).status_code == 302
    assert red not in due(s1)


def test_overdue_means_the_same_on_the_tile_the_board_and_the_exports(console_app):
    long_ago = (datetime.now(fd.CST) - timedelta(hours=3)).isoformat(timespec="seconds")
    late = fd.request_doc("g1", "h1", by="w1", opened_at=long_ago, status="resolved",
                          status_times={"open": long_ago, "resolved": fd.stamp_time(1)})
    overdue = [fd.request_doc("g1", "h1", by="w1", opened_at=long_ago) for _ in range(2)]
    write(console_app, [late, *overdue])
    s1 = browser_for(console_app, "s1")
    tile = int(re.search(r'<b>(\d+)</b><span>超时诉求', s1.text("/console/dashboard")).group(1))
    board = s1.text("/console/requests")
    on_board = len(re.findall(r'class="clock-overdue"', board))
    raw = s1.get("/console/exports/requests.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    column = rows[0].index("已逾期")
    in_export = sum(1 for row in rows[1:] if row[column] == "已逾期")
    assert tile == on_board == in_export == 2
    done = list(csv.reader(io.StringIO(s1.get("/console/exports/requests.csv?show=done")
                                       .data.decode("utf-8-sig"))))
    assert [row[column] for row in done[1:] if row[0] == late["_id"]] == ["超时办结"]
