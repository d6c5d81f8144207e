"""The console's replication history (复制记录): recorded runs newest first
with their figures, filters, paging, the summary, who may see it, and URLs
shown without credentials. Runs are recorded through the real run log
(``gridvisit.runs``); only their times are set afterwards, so that the
page has a past to show."""

import re
import time

import pytest

from server.console.replication import without_credentials
from server.jobs.runs import DIED
from tests.api import PASSWORD
from tests.console_client import Browser, browser_for, console_app  # noqa: F401
from server.services import services

HOUR, DAY = 3600, 86400
HUB = "https://hub.example/field"


def record(app, job, ago, took, stats=None, error=None, status=None, source="local:field",
           target=HUB):
    """A finished run of ``job`` that started ``ago`` seconds ago and took ``took``."""
    runs = services(app).runs
    run_id = runs.start(job, source, target)
    runs.finish(run_id, stats or {}, error=error, status=status)
    started = time.time() - ago
    with runs.db.connect() as conn:
        conn.execute("UPDATE replication_runs SET started = ?, ended = ? WHERE id = ?",
                     (started, started + took, run_id))
    return run_id


@pytest.fixture
def history(console_app):
    """Two jobs' runs, oldest first: job → [run ids]."""
    app = console_app
    return {
        "old": record(app, "nightly-pull", 10 * DAY, 5, error="hub down"),       # not this week
        "push1": record(app, "nightly-push", 2 * DAY, 12.5,
                        {"docs_read": 7, "docs_written": 7}),
        "pull1": record(app, "nightly-pull", DAY + HOUR, 40,
                        {"docs_read": 3, "docs_written": 1}, error="hub unreachable: 503"),
        "push2": record(app, "nightly-push", DAY, 65,
                        {"docs_read": 5, "docs_written": 4, "doc_write_failures": 1}),
        "pull2": record(app, "nightly-pull", 5 * HOUR, 2, {"docs_read": 2},
                        error="interrupted / 已中断", status="interrupted"),
        "push3": record(app, "nightly-push", 2 * HOUR, 185,
                        {"docs_read": 120, "docs_written": 118}),
    }


def rows(page):
    """``[(run id, status)]`` of the runs table, top to bottom."""
    table = re.search(r'<table class="list" id="runs">(.*?)</table>', page, re.S).group(1)
    return [(int(i), s) for i, s in re.findall(r'<tr data-id="(\d+)" data-status="([^"]+)"',
                                               table)]


def row(page, run_id):
    """The cells' text of one run's row."""
    found = re.search(rf'<tr data-id="{run_id}"(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", found, re.S)]


def test_runs_are_listed_newest_first_with_their_figures(console_app, history):
    page = browser_for(console_app, "s1").text("/console/replication")
    assert [run_id for run_id, _ in rows(page)] == sorted(history.values(), reverse=True)
    assert dict(rows(page))[history["pull2"]] == "interrupted"
    job, status, route, started, ended, took, read, written, failures, error = \
        row(page, history["pull1"])
    assert (job, status, route) == ("nightly-pull", "失败", f"local:field → {HUB}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", started) and ended > started
    assert (took, read, written, failures, error) == ("40.0秒", "3", "1", "0",
                                                      "hub unreachable: 503")
    assert re.search(rf'<tr data-id="{history["pull1"]}".*?class="state rejected bad"', page,
                     re.S)                                                 # failed, in red
    assert row(page, history["push2"])[1:2] + row(page, history["push2"])[5:9] == [
        "完成，部分文档失败", "1分", "5", "4", "1"]
    assert row(page, history["push3"])[5:9] == ["3分", "120", "118", "0"]
    assert row(page, history["pull2"])[1] == "已中断"


def test_the_summary_gives_each_jobs_last_success_and_this_weeks_failures(console_app,
                                                                          history):
    page = browser_for(console_app, "s1").text("/console/replication")
    last_ok = re.search(r'id="last-ok">(.*?)</table>', page, re.S).group(1)
    push = re.search(r'data-job="nightly-push">(.*?)</tr>', last_ok, re.S).group(1)
    assert "1小时" in push and "前" in push                 # push3 ended 2 h - 185 s ago
    pull = re.search(r'data-job="nightly-pull">(.*?)</tr>', last_ok, re.S).group(1)
    assert "从未成功" in pull
    week = re.search(r'id="week">(.*?)</p>', page, re.S).group(1)
    counts = dict(re.findall(r'data-status="([^"]+)"[^>]*>[^<]*<b>(\d+)</b>', week))
    assert counts == {"failed": "1", "interrupted": "1", "completed with failures": "1"}


def test_filters_by_job_and_status_and_ignore_unknown_values(console_app, history):
    s1 = browser_for(console_app, "s1")
    ids = lambda url: [run_id for run_id, _ in rows(s1.text(url))]      # noqa: E731
    pulls = [history[k] for k in ("pull2", "pull1", "old")]
    assert ids("/console/replication?job=nightly-pull") == pulls
    assert ids("/console/replication?status=failed") == [history["pull1"], history["old"]]
    assert ids("/console/replication?job=nightly-push&status=failed") == []
    assert ids("/console/replication?job=nightly-push&status=completed") == [
        history["push3"], history["push1"]]
    every = sorted(history.values(), reverse=True)
    for bad in ("status=bogus", "job=nope", "page=-3", "page=abc", "page=99999999999999999999",
                "status=&job=", "status=failed%00"):
        assert ids(f"/console/replication?{bad}") == every, bad
    page = s1.text("/console/replication?job=nightly-pull")
    assert re.search(r'<option value="nightly-pull" selected>', page)


def test_runs_are_paged_with_the_filters_kept(console_app, history):
    console_app.config["CONSOLE_PAGE_SIZE"] = 2
    s1 = browser_for(console_app, "s1")
    newest = sorted(history.values(), reverse=True)
    pages = [[i for i, _ in rows(s1.text(f"/console/replication?page={n}"))] for n in (1, 2, 3)]
    assert pages == [newest[:2], newest[2:4], newest[4:]]
    assert [i for i, _ in rows(s1.text("/console/replication?page=7"))] == newest[4:]
    page = s1.text("/console/replication?job=nightly-push")
    assert "3 条 · 1 / 2" in page
    assert 'href="/console/replication?job=nightly-push&amp;page=2" rel="next"' in page


def test_supervisors_and_admins_see_it_and_workers_do_not(console_app, history):
    for who in ("s1", "s2", "admin"):
        page = browser_for(console_app, who).text("/console/replication")
        assert len(rows(page)) == len(history)
        assert '<a href="/console/replication"' in page and "复制记录" in page       # nav
    anonymous = Browser(console_app).get("/console/replication")
    assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]
    assert Browser(console_app).login("w1").status_code == 401
    tablet = console_app.test_client()                    # a worker's sync session cookie
    assert tablet.post("/couch/_session", json={"name": "w1", "password": PASSWORD}
                       ).status_code == 200
    refused = tablet.get("/console/replication")
    assert refused.status_code == 403 and "nightly-push" not in refused.get_data(as_text=True)


@pytest.mark.parametrize("stored, shown", [
    ("https://admin:s3cret@hub.example/field", "https://hub.example/field"),
    ("http://hub:p%40ss@10.0.0.2:5984/db", "http://10.0.0.2:5984/db"),
    ("http://u:p@ss@hub/db", "http://hub/db"),                   # an unescaped @ in it
    ("HTTPS://only-a-name@hub/db", "HTTPS://hub/db"),
    ("failed: GET https://a:b@hub/x/_changes and http://c:d@hub2/y",
     "failed: GET https://hub/x/_changes and http://hub2/y"),
    ("local:field", "local:field"), ("https://hub/x?since=5#a@b", "https://hub/x?since=5#a@b"),
    ("mail me@example.org", "mail me@example.org"), (None, None),
])
def test_credentials_are_stripped_from_urls(stored, shown):
    assert without_credentials(stored) == shown


def test_a_run_recorded_with_credentials_shows_none(console_app):
    record(console_app, "replicate", HOUR, 3, source="https://admin:s3cret@hub.example/field",
           target="local:field", error="GET https://admin:s3cret@hub.example/field: 401")
    page = browser_for(console_app, "admin").text("/console/replication")
    assert "s3cret" not in page and "admin:" not in page
    assert "https://hub.example/field → local:field" in page
    assert "GET https://hub.example/field: 401" in page


def test_a_run_whose_process_died_is_shown_interrupted(console_app):
    runs = services(console_app).runs
    with runs.db.connect() as conn:             # a pid above Linux's maximum: never alive
        conn.execute("INSERT INTO replication_runs (job, source, target, started, status, "
                     "pid, process) VALUES ('nightly-push', 'local:field', ?, ?, 'running', "
                     "4194305, '1')", (HUB, time.time() - 60))
    alive = runs.start("nightly-pull", HUB, "local:field")          # this process: running
    page = browser_for(console_app, "s1").text("/console/replication")
    assert [status for _, status in rows(page)] == ["running", "interrupted"]
    assert row(page, alive)[4:6] == ["—", "…"]
    assert DIED in page


def test_the_dashboard_tile_links_to_the_page(console_app, history):
    page = browser_for(console_app, "s1").text("/console/dashboard")
    assert re.search(r'<a class="tile wide" id="replication" href="/console/replication">',
                     page)


def test_english_labels(console_app, history):
    s1 = browser_for(console_app, "s1")
    s1.get("/console/lang/en")
    page = s1.text("/console/replication")
    assert "Replication history" in page and ">Replication</a>" in page
    assert row(page, history["pull1"])[1] == "failed"
    assert row(page, history["pull2"])[1] == "interrupted"
    assert row(page, history["push1"])[5] == "12.5s" and row(page, history["push2"])[5] == "1m"
    assert "never succeeded" in page and "Runs that did not succeed, last 7 days" in page
    assert "复制记录" not in page


def test_the_run_log_pages_and_filters(console_app, history):
    runs = services(console_app).runs
    assert runs.jobs() == ["nightly-pull", "nightly-push"]
    total, page = runs.history(2, 1, job="nightly-push")
    assert total == 3 and [r["id"] for r in page] == [history["push2"], history["push1"]]
    assert runs.history(10, status="interrupted")[0] == 1
    assert runs.history(0)[0] == len(history) and runs.history(0)[1] == []
    assert runs.recent(1)[0]["id"] == history["push3"]
    assert set(runs.last_completed()) == {"nightly-push"}
    assert runs.statuses_since(time.time() - 7 * DAY) == {
        "completed": 2, "completed with failures": 1, "failed": 1, "interrupted": 1}
