"""A grid created after a notice was published still gets it while it is
in force (``server/accounts/notice_fanout.py``): through the admin API, the
console's grids page and a roster import; in process (Flask test client,
real SQLite), the roster import as a real ``gridvisit`` subprocess.

Same app as ``test_console_care.py``: community c1 (grids g1, g2) with
supervisor s1 and worker w1, community c2 (grid g3) with supervisor s2 and
worker w3.
"""

from datetime import datetime, timedelta

import pytest

from rules import schemas
from server.console import queries
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_app
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401
from tests.peers import gridvisit_cli
from tests.console_client import ago, audit_rows, notice_docs, publish_notice
from tests.peers import ROOT
from server.services import services

ROSTER = ROOT / "tests" / "fixtures" / "roster.csv"
COPIED = ("type", "schema", "title", "body", "priority", "audience", "published_by",
          "published_by_name", "published_at", "expires_at")


def _key(doc):
    return doc["_id"].rsplit(":", 1)[1]


def _grid_keys(app, grid):
    return {_key(d) for d in notice_docs(app) if d["grid"] == grid}


@pytest.fixture
def published(console_app):
    """One notice of each kind, published through the console: ``{kind: uuid}``.

    Live: ``community`` (c1, by s9 who has a display name, expiring in two
    days), ``everyone`` (the admin's), ``s1_everyone`` (s1's, so c1's grids),
    ``s2_everyone`` and ``other_community`` (c2's). Dead or not copied:
    ``expired``, ``withdrawn`` (both c1), ``grid`` (g1 only).
    """
    ext = services(console_app)
    ext.accounts.create("s9", PASSWORD, "supervisor", "石佳")
    ext.directory.assign("s9", community="c1")
    people = {name: browser_for(console_app, name) for name in ("s1", "s2", "s9", "admin")}
    later = (datetime.now(fd.CST) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    keys = {}
    for kind, who, audience, extra in (
            ("community", "s9", "community:c1", {"expires_at": later}),
            ("everyone", "admin", "everyone", {"priority": "important"}),
            ("s1_everyone", "s1", "everyone", {}),
            ("s2_everyone", "s2", "everyone", {}),
            ("other_community", "s2", "community:c2", {}),
            ("expired", "s1", "community:c1", {}),
            ("withdrawn", "s1", "community:c1", {}),
            ("grid", "s1", "grid:g1", {})):
        before = {_key(d) for d in notice_docs(console_app)}
        resp = publish_notice(people[who], audience, title=f"通知 {kind}", body=f"{kind} 的正文", **extra)
        assert resp.status_code == 302
        (keys[kind],) = {_key(d) for d in notice_docs(console_app)} - before
    expired = notice_docs(console_app, keys["expired"])
    for doc in expired:
        doc.update(published_at=ago(days=3), expires_at=ago(days=1))
    write(console_app, expired)
    assert people["s1"].post(f"/console/notices/{keys['withdrawn']}/withdraw").status_code == 302
    assert notice_docs(console_app, keys["withdrawn"]) == []
    return keys


def _check_copies(app, grid, keys, by="admin"):
    """The grid's notices are copies of the publications ``keys``, field for field."""
    copies = [d for d in notice_docs(app) if d["grid"] == grid]
    assert {_key(d) for d in copies} == set(keys)
    for doc in copies:
        original = next(d for d in notice_docs(app, _key(doc)) if d["grid"] != grid)
        assert doc["_id"] == f"notice:{grid}:{_key(doc)}"
        assert {f: doc.get(f) for f in COPIED} == {f: original.get(f) for f in COPIED}
        assert doc["updated_by"] == by
        assert schemas.validate(doc) is None
    return copies


def test_a_grid_created_through_the_api_gets_exactly_the_live_notices_meant_for_it(
        console_app, published):
    admin = Couch(console_app)
    resp = admin.post("/api/grids", json={"id": "g4", "name": "网格四", "parent": "c1"})
    assert resp.status_code == 201, resp.get_json()
    live = [published[k] for k in ("community", "everyone", "s1_everyone")]
    copies = _check_copies(console_app, "g4", live)
    assert resp.get_json()["notices"] == sorted(d["_id"] for d in copies)
    community = next(d for d in copies if _key(d) == published["community"])
    assert (community["title"], community["published_by_name"]) == ("通知 community", "石佳")
    assert community["audience"] == {"kind": "community", "id": "c1"}

    services(console_app).accounts.create("w4", PASSWORD, "worker")
    assert admin.post("/api/assignments", json={"user": "w4", "grid": "g4"}).status_code == 200
    pulled = Couch(console_app, auth=("w4", PASSWORD)).get("field/_changes").get_json()
    assert sorted(r["id"] for r in pulled["results"] if r["id"].startswith("notice:")) == \
        sorted(d["_id"] for d in copies)

    entries = audit_rows(console_app, "notice.extend")
    assert sorted(e["target"] for e in entries) == sorted(f"notice:{k}" for k in live)
    assert all(e["user"] == "admin" and e["detail"]["grids"] == ["g4"]
               and e["detail"]["reason"] == "grid.created" for e in entries)

    again = admin.post("/api/grids", json={"id": "g4", "name": "网格肆", "parent": "c1"})
    assert again.status_code == 201 and again.get_json()["notices"] == []    # a rename


def test_a_grid_created_on_the_console_joins_each_publication_once(console_app, published):
    admin = browser_for(console_app, "admin")
    assert admin.post("/console/admin/places", {"kind": "grid", "id": "g5", "name": "网格五",
                                                "parent": "c1"}).status_code == 302
    live = [published[k] for k in ("community", "everyone", "s1_everyone")]
    _check_copies(console_app, "g5", live)
    assert len(audit_rows(console_app, "notice.extend")) == 3

    page = admin.text("/console/notices")
    for kind, key in published.items():
        assert page.count(f'data-uuid="{key}"') == (0 if kind == "withdrawn" else 1), kind
    conn = services(console_app).console_index.conn()
    grids = {kind: sorted(queries.notice_grids(conn, key)) for kind, key in published.items()}
    assert grids == {"community": ["g1", "g2", "g5"], "everyone": ["g1", "g2", "g3", "g5"],
                     "s1_everyone": ["g1", "g2", "g5"], "s2_everyone": ["g3"],
                     "other_community": ["g3"], "expired": ["g1", "g2"], "withdrawn": [],
                     "grid": ["g1"]}
    assert "3个网格" in browser_for(console_app, "s1").text("/console/notices")

    # One publication still: its publisher withdraws it from every grid at once.
    s9 = browser_for(console_app, "s9")
    assert s9.post(f"/console/notices/{published['community']}/withdraw").status_code == 302
    assert notice_docs(console_app, published["community"]) == []


def test_a_grid_moved_to_another_community_gets_that_communitys_notices(console_app, published):
    resp = Couch(console_app).post("/api/grids", json={"id": "g3", "name": "g3", "parent": "c1"})
    assert resp.status_code == 201
    assert _grid_keys(console_app, "g3") == {published[k] for k in (
        "everyone", "s2_everyone", "other_community", "community", "s1_everyone")}
    assert resp.get_json()["notices"] == sorted(
        f"notice:g3:{published[k]}" for k in ("community", "s1_everyone"))
    assert [e["detail"]["reason"] for e in audit_rows(console_app, "notice.extend")] == \
        ["grid.moved", "grid.moved"]


def test_creating_a_grid_with_no_live_notices_writes_nothing(console_app):
    s1 = browser_for(console_app, "s1")
    assert publish_notice(s1, "grid:g1").status_code == 302
    assert publish_notice(s1, "community:c1").status_code == 302
    gone = _key(next(d for d in notice_docs(console_app) if d["audience"]["kind"] != "grid"))
    assert s1.post(f"/console/notices/{gone}/withdraw").status_code == 302
    before = field_db(console_app).info()["update_seq"]
    resp = Couch(console_app).post("/api/grids", json={"id": "g4", "name": "网格四",
                                                       "parent": "c1"})
    assert resp.status_code == 201 and resp.get_json()["notices"] == []
    assert field_db(console_app).info()["update_seq"] == before
    assert audit_rows(console_app, "notice.extend") == []


def test_a_grid_created_before_the_field_database_exists(tmp_path):
    app = make_app(tmp_path)
    directory = services(app).directory
    directory.put_street("s", "朝阳门街道")
    directory.put_community("c1", "史家社区", "s")
    resp = Couch(app).post("/api/grids", json={"id": "g1", "name": "网格一", "parent": "c1"})
    assert resp.status_code == 201 and resp.get_json()["notices"] == []
    assert [g["id"] for g in directory.grids()] == ["g1"]
    # A grid of a community that does not exist: 400 naming the field, in
    # Chinese and English, and no grid.
    bad = Couch(app).post("/api/grids", json={"id": "g2", "name": "网格二", "parent": "c9"})
    assert bad.status_code == 400
    assert bad.get_json()["reason"] == "community: 没有社区 'c9' / no community 'c9'"
    assert [g["id"] for g in directory.grids()] == ["g1"]


def test_a_roster_import_gives_its_new_grids_the_live_notices(tmp_path):
    app = make_app(tmp_path)
    directory = services(app).directory
    directory.put_street("chaoyangmen", "朝阳门街道")
    directory.put_community("shijia", "史家社区", "chaoyangmen")
    directory.put_community("yanyue", "演乐社区", "chaoyangmen")
    for grid, community in (("shijia-01", "shijia"), ("yanyue-01", "yanyue")):
        directory.put_grid(grid, grid, community)
    db = services(app).store.create("field")

    def notice(grid, key, audience, **extra):
        return {"_id": f"notice:{grid}:{key}", "type": "notice", "schema": 2, "grid": grid,
                "updated_at": ago(minutes=5), "updated_by": ADMIN[0], "title": f"通知 {key}",
                "body": "正文", "priority": "urgent", "audience": audience,
                "published_by": ADMIN[0], "published_at": ago(minutes=5), **extra}
    shijia, everyone = {"kind": "community", "id": "shijia"}, {"kind": "everyone"}
    docs = [notice("shijia-01", "live", shijia), notice("shijia-01", "all", everyone),
            notice("yanyue-01", "all", everyone),
            notice("yanyue-01", "theirs", {"kind": "community", "id": "yanyue"}),
            notice("shijia-01", "old", shijia, published_at=ago(days=3),
                   expires_at=ago(days=1))]
    assert all("ok" in row for row in db.bulk_docs(docs))

    result = gridvisit_cli(tmp_path, "import-roster", str(ROSTER), check=False)
    assert result.returncode == 0, result.stderr
    assert "notices: 4 copies of 2 live notices given to the new grids" in result.stdout
    rows = db.all_docs(startkey="notice:", endkey="notice:\ufff0", include_docs=True)["rows"]
    held = {}
    for row in rows:
        held.setdefault(row["doc"]["grid"], set()).add(_key(row["doc"]))
        assert schemas.validate(row["doc"]) is None
    assert held == {"shijia-01": {"live", "all", "old"}, "shijia-02": {"live", "all"},
                    "shijia-03": {"live", "all"}, "yanyue-01": {"all", "theirs"}}
    copy = db.get("notice:shijia-02:live")
    assert (copy["updated_by"], copy["device"], copy["title"]) == ("system", "import-roster",
                                                                   "通知 live")
