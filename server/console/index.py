"""The console's derived index: field documents as rows, kept up to date from
the field database's changes feed.

The review queue and the dashboard filter, sort and count up to hundreds of
thousands of visits; reading every document per request would take seconds.
So the console keeps its own SQLite file, ``DATA_DIR/console/{db}.sqlite``,
with one row per submitted visit, household, request, review, notice and
read receipt (the fields the pages filter and show), one row per early warning
a submitted visit recorded (``warnings``), a per-day aggregate of visits
(``visit_days``) and each household's latest visit. It is *derived*: it
holds nothing that is not in the field database, can be deleted at any
time, and is rebuilt from seq 0 when it is missing or when the field
database was re-created (another ``uuid``). Purged documents never come
back in the changes feed, so each refresh first reads the database's
purge log (``Database.purged_since``) and drops their rows.

``refresh(db)`` applies the changes since the seq it stored last, inside
one write transaction of the index file, so several threads or gunicorn
workers never apply the same change twice. Every console request calls it
first; when nothing changed it costs one read of the update seq. The first
build over 100,000 visits takes a few seconds, once.
"""

import json
import sqlite3
import threading
from pathlib import Path

from rules import ids

from .times import epoch, local_day

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS visits (
    id TEXT PRIMARY KEY, grid TEXT NOT NULL, household TEXT, worker TEXT,
    at REAL NOT NULL, day TEXT NOT NULL, outcome TEXT, colour TEXT, colour_reason TEXT,
    follow_up_on TEXT, needs TEXT, services TEXT, notes TEXT, device TEXT,
    review TEXT NOT NULL DEFAULT 'pending', supersedes TEXT, channel TEXT);
-- The review queue pages through (at, rowid) of the visits that match; each
-- index holds the grid too, so a supervisor's page is found without reading
-- rows, and every filter column is in visits_filters, so counts never do.
CREATE INDEX IF NOT EXISTS visits_at ON visits (at, grid);
CREATE INDEX IF NOT EXISTS visits_grid_at ON visits (grid, at);
CREATE INDEX IF NOT EXISTS visits_worker_at ON visits (worker, at, grid);
CREATE INDEX IF NOT EXISTS visits_review_at ON visits (review, at, grid);
CREATE INDEX IF NOT EXISTS visits_filters ON visits (grid, review, colour, outcome, worker, at);
CREATE INDEX IF NOT EXISTS visits_household_at ON visits (household, at);
CREATE INDEX IF NOT EXISTS visits_supersedes ON visits (supersedes) WHERE supersedes IS NOT NULL;
CREATE TABLE IF NOT EXISTS reviews (
    visit TEXT PRIMARY KEY, grid TEXT NOT NULL, state TEXT NOT NULL, comment TEXT,
    reviewer TEXT, reviewed_at TEXT);
CREATE TABLE IF NOT EXISTS households (
    id TEXT PRIMARY KEY, grid TEXT NOT NULL, building TEXT, unit TEXT, room TEXT,
    address TEXT, head TEXT, phone TEXT, colour TEXT, colour_reason TEXT,
    members INTEGER NOT NULL DEFAULT 0, tags TEXT, updated_at TEXT,
    last_visit_at REAL, follow_up_on TEXT);
CREATE INDEX IF NOT EXISTS households_grid ON households (grid, colour);
CREATE INDEX IF NOT EXISTS households_colour ON households (colour, last_visit_at);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, grid TEXT NOT NULL, household TEXT, visit TEXT, kind TEXT,
    detail TEXT, urgency TEXT, sla TEXT, status TEXT, assignee TEXT, opened_at REAL,
    status_times TEXT, updated_at TEXT, target TEXT, target_name TEXT, member TEXT,
    rule TEXT, satisfaction TEXT, satisfaction_comment TEXT, satisfaction_at TEXT);
CREATE INDEX IF NOT EXISTS requests_grid_status ON requests (grid, status);
CREATE INDEX IF NOT EXISTS requests_household ON requests (household);
-- One row per notice document (one per grid it reached) and per read receipt.
CREATE TABLE IF NOT EXISTS notices (
    id TEXT PRIMARY KEY, grid TEXT NOT NULL, uuid TEXT NOT NULL, title TEXT, body TEXT,
    priority TEXT, audience TEXT, published_by TEXT, published_at TEXT, expires_at TEXT);
CREATE INDEX IF NOT EXISTS notices_uuid ON notices (uuid, grid);
CREATE TABLE IF NOT EXISTS receipts (
    id TEXT PRIMARY KEY, grid TEXT NOT NULL, notice TEXT, reader TEXT, read_at TEXT);
CREATE INDEX IF NOT EXISTS receipts_notice ON receipts (notice);
-- One row per early warning a submitted visit recorded (what the rule set
-- suggested and whether the worker accepted or overrode it).
CREATE TABLE IF NOT EXISTS warnings (
    visit TEXT NOT NULL, pos INTEGER NOT NULL, grid TEXT NOT NULL, worker TEXT,
    household TEXT, at REAL NOT NULL, rule TEXT, member TEXT, colour TEXT, referral TEXT,
    reason TEXT, decision TEXT, override_reason TEXT, PRIMARY KEY (visit, pos));
CREATE INDEX IF NOT EXISTS warnings_decision_at ON warnings (decision, at, grid);
CREATE INDEX IF NOT EXISTS warnings_grid_at ON warnings (grid, at);
CREATE TABLE IF NOT EXISTS visit_days (
    grid TEXT NOT NULL, day TEXT NOT NULL, worker TEXT NOT NULL, colour TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (day, grid, worker, colour)) WITHOUT ROWID;
"""
TABLES = ("visits", "reviews", "households", "requests", "notices", "receipts", "visit_days",
          "warnings")
VERSION = "4"        # bump when SCHEMA changes: the index is then rebuilt from seq 0
BATCH = 2000


def _text(value, limit=2000):
    return value[:limit] if isinstance(value, str) else None


class ConsoleIndex:
    """One field database's derived index file."""

    def __init__(self, path, tz):
        self.path = str(path)
        self.tz = tz
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        conn = self.conn()
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        found = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if found is None or found[0] != VERSION:
            conn.executescript("".join(f"DROP TABLE IF EXISTS {t};" for t in TABLES)
                               + "DELETE FROM meta;")
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)",
                         (VERSION,))
        conn.executescript(SCHEMA)

    def conn(self):
        """This thread's connection (autocommit; reads see a consistent file)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def position(self):
        """``(uuid, seq)`` of the field database state the index reflects."""
        rows = dict(self.conn().execute("SELECT key, value FROM meta").fetchall())
        return rows.get("uuid"), int(rows.get("pos", 0))

    def refresh(self, db):
        """Apply ``db``'s changes since the last refresh; returns how many."""
        uuid, pos = self.position()
        if uuid == db.uuid and pos >= db.update_seq():
            return 0
        applied = 0
        with self._lock:
            conn = self.conn()
            while True:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    done, count = self._apply_page(conn, db)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                applied += count
                if done:
                    break
            if applied > 5000:
                conn.execute("PRAGMA optimize")      # fresh statistics after a big build
                conn.execute("ANALYZE")
        return applied

    def clear(self):
        """Forget everything (the field database is gone)."""
        if self.position()[0] is None:
            return
        with self._lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM meta WHERE key IN ('uuid', 'pos', 'purge_pos')")
            conn.execute("COMMIT")

    def _apply_page(self, conn, db):
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("uuid") != db.uuid:               # new or re-created database
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                             [("uuid", db.uuid), ("pos", "0"),
                              ("purge_pos", str(db.purge_seq()))])
            meta = {"uuid": db.uuid, "pos": "0"}
        households = set()
        if not self._apply_purges(conn, db, households):
            return self._apply_page(conn, db)      # the purge log moved on: rebuilt
        pos = int(meta["pos"])
        page = db.changes(since=pos, include_docs=True, limit=BATCH)
        rows = page["results"]
        for row in rows:
            households.update(self._apply(conn, row))
        for household in households:
            self._latest_visit(conn, household)
        new_pos = db.decode_since(page["last_seq"]) if rows else pos
        conn.execute("UPDATE meta SET value = ? WHERE key = 'pos'", (str(max(pos, new_pos)),))
        return len(rows) < BATCH, len(rows)

    def _apply_purges(self, conn, db, households):
        """Drop the rows of documents purged since the last refresh: a purged
        document never shows up in the changes feed again (``sync.purge``).
        False when the purge log no longer reaches back that far: then the
        index is emptied, to be rebuilt from seq 0."""
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        done = int(meta.get("purge_pos", 0))
        entries = db.purged_since(done)
        if entries and entries[0][0] != done + 1:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM meta WHERE key = 'uuid'")
            return False
        for seq, purged in entries:
            for doc_id in purged:
                households.update(self._apply(conn, {"id": doc_id, "deleted": True}))
            done = seq
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('purge_pos', ?)",
                     (str(done),))
        return True

    # -- one change -------------------------------------------------------

    def _apply(self, conn, row):
        """Apply one changes row; returns household ids whose latest visit may move."""
        doc_id = row["id"]
        kind = ids.doc_type(doc_id)
        doc = row.get("doc") or {}
        if row.get("deleted") or doc.get("_deleted"):
            doc = None
        try:
            if kind == "visit":
                return self._visit(conn, doc_id, doc)
            if kind == "household":
                conn.execute("DELETE FROM households WHERE id = ?", (doc_id,))
                if doc is not None:
                    self._household(conn, doc_id, doc)
                return {doc_id}
            if kind == "request":
                conn.execute("DELETE FROM requests WHERE id = ?", (doc_id,))
                if doc is not None:
                    self._request(conn, doc_id, doc)
            elif kind == "review":
                return self._review(conn, doc_id, doc)
            elif kind in ("notice", "receipt"):
                conn.execute(f"DELETE FROM {kind}s WHERE id = ?", (doc_id,))
                if doc is not None:
                    (self._notice if kind == "notice" else self._receipt)(conn, doc_id, doc)
        except (TypeError, ValueError, AttributeError):
            pass        # a document the schemas would refuse: not shown, still synced
        return ()

    def _visit(self, conn, doc_id, doc):
        touched = set()
        old = conn.execute("SELECT grid, day, worker, colour, household FROM visits "
                           "WHERE id = ?", (doc_id,)).fetchone()
        if old is not None:
            conn.execute("UPDATE visit_days SET n = n - 1 WHERE grid = ? AND day = ? "
                         "AND worker = ? AND colour = ?", old[:4])
            conn.execute("DELETE FROM visits WHERE id = ?", (doc_id,))
            conn.execute("DELETE FROM warnings WHERE visit = ?", (doc_id,))
            touched.add(old[4])
        if doc is None or doc.get("status") != "submitted":
            return touched                     # drafts stay on the tablet's side
        at = epoch(doc.get("visited_at")) or 0.0
        day = local_day(at, self.tz)
        grid, worker = ids.grid_of(doc_id), _text(doc.get("worker"), 64) or "?"
        colour = _text(doc.get("colour_after"), 16) or "?"
        needs = ",".join(n.get("kind", "?") for n in doc.get("needs") or []
                         if isinstance(n, dict))
        services = "；".join(s for s in doc.get("services") or [] if isinstance(s, str))
        review = conn.execute("SELECT state FROM reviews WHERE visit = ?", (doc_id,)).fetchone()
        household = _text(doc.get("household"), 200)
        conn.execute(
            "INSERT INTO visits (id, grid, household, worker, at, day, outcome, colour, "
            "colour_reason, follow_up_on, needs, services, notes, device, review, supersedes, "
            "channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, grid, household, worker, at, day, _text(doc.get("outcome"), 16), colour,
             _text(doc.get("colour_reason")), _text(doc.get("follow_up_on"), 10), needs,
             services, _text(doc.get("notes")), _text(doc.get("device"), 64),
             review[0] if review else "pending", _text(doc.get("supersedes"), 200),
             _text(doc.get("channel"), 16) or "door"))
        conn.execute("INSERT INTO visit_days (grid, day, worker, colour, n) "
                     "VALUES (?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1",
                     (grid, day, worker, colour))
        self._warnings(conn, doc_id, grid, worker, household, at, doc.get("warnings"))
        touched.add(household)
        return touched

    def _warnings(self, conn, doc_id, grid, worker, household, at, warnings):
        rows = [(doc_id, pos, grid, worker, household, at, _text(w.get("rule"), 64),
                 _text(w.get("member"), 64), _text(w.get("colour"), 16),
                 _text(w.get("referral"), 32), _text(w.get("reason"), 500),
                 _text(w.get("decision"), 16), _text(w.get("override_reason"), 500))
                for pos, w in enumerate(warnings if isinstance(warnings, list) else [])
                if isinstance(w, dict)]
        conn.executemany(
            "INSERT INTO warnings (visit, pos, grid, worker, household, at, rule, member, "
            "colour, referral, reason, decision, override_reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[:20])

    def _household(self, conn, doc_id, doc):
        members = [m for m in doc.get("members") or [] if isinstance(m, dict)]
        tags = sorted({t for m in members for t in m.get("tags") or [] if isinstance(t, str)})
        conn.execute(
            "INSERT INTO households (id, grid, building, unit, room, address, head, phone, "
            "colour, colour_reason, members, tags, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, ids.grid_of(doc_id), _text(doc.get("building"), 32),
             _text(doc.get("unit"), 16), _text(doc.get("room"), 16),
             _text(doc.get("address"), 200), _text(doc.get("head"), 64),
             _text(doc.get("phone"), 20), _text(doc.get("colour"), 16),
             _text(doc.get("colour_reason")), len(members), ",".join(tags),
             _text(doc.get("updated_at"), 40)))

    def _request(self, conn, doc_id, doc):
        times = doc.get("status_times") if isinstance(doc.get("status_times"), dict) else {}
        conn.execute(
            "INSERT INTO requests (id, grid, household, visit, kind, detail, urgency, sla, "
            "status, assignee, opened_at, status_times, updated_at, target, target_name, "
            "member, rule, satisfaction, satisfaction_comment, satisfaction_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, ids.grid_of(doc_id), _text(doc.get("household"), 200),
             _text(doc.get("visit"), 200), _text(doc.get("kind"), 32),
             _text(doc.get("detail")), _text(doc.get("urgency"), 16),
             _text(doc.get("sla"), 16), _text(doc.get("status"), 16) or "open",
             _text(doc.get("assignee"), 64), epoch(doc.get("opened_at")) or 0.0,
             json.dumps(times, ensure_ascii=False), _text(doc.get("updated_at"), 40),
             _text(doc.get("target"), 32), _text(doc.get("target_name"), 100),
             _text(doc.get("member"), 64), _text(doc.get("rule"), 64),
             _text(doc.get("satisfaction"), 32), _text(doc.get("satisfaction_comment"), 500),
             _text(doc.get("satisfaction_at"), 40)))

    def _notice(self, conn, doc_id, doc):
        audience = doc.get("audience") if isinstance(doc.get("audience"), dict) else {}
        conn.execute(
            "INSERT INTO notices (id, grid, uuid, title, body, priority, audience, "
            "published_by, published_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, ids.grid_of(doc_id), doc_id.rsplit(":", 1)[1], _text(doc.get("title"), 100),
             _text(doc.get("body")), _text(doc.get("priority"), 16),
             json.dumps(audience, ensure_ascii=False), _text(doc.get("published_by"), 64),
             _text(doc.get("published_at"), 40), _text(doc.get("expires_at"), 40)))

    def _receipt(self, conn, doc_id, doc):
        conn.execute("INSERT INTO receipts (id, grid, notice, reader, read_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (doc_id, ids.grid_of(doc_id), _text(doc.get("notice"), 200),
                      _text(doc.get("reader"), 64), _text(doc.get("read_at"), 40)))

    def _review(self, conn, doc_id, doc):
        visit = doc_id[len("review:"):]
        conn.execute("DELETE FROM reviews WHERE visit = ?", (visit,))
        state = "pending"
        if doc is not None:
            state = _text(doc.get("state"), 16) or "pending"
            conn.execute("INSERT INTO reviews (visit, grid, state, comment, reviewer, "
                         "reviewed_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (visit, ids.grid_of(doc_id), state, _text(doc.get("comment")),
                          _text(doc.get("reviewer"), 64), _text(doc.get("reviewed_at"), 40)))
        conn.execute("UPDATE visits SET review = ? WHERE id = ?", (state, visit))
        found = conn.execute("SELECT household FROM visits WHERE id = ?", (visit,)).fetchone()
        return {found[0]} if found and found[0] else ()      # a verdict moves its last visit

    def _latest_visit(self, conn, household):
        # A household counts as visited (需走访, coverage) only by a visit that
        # met it and was not rejected: a knock on a closed door, or a visit a
        # supervisor rejected, leaves a red household due. Its follow-up date
        # is the latest non-rejected visit's, whatever the outcome.
        if household is None:
            return
        met = conn.execute("SELECT MAX(at) FROM visits WHERE household = ? AND outcome = 'met' "
                           "AND review != 'rejected'", (household,)).fetchone()
        follow = conn.execute("SELECT follow_up_on FROM visits WHERE household = ? AND "
                              "review != 'rejected' ORDER BY at DESC LIMIT 1",
                              (household,)).fetchone()
        conn.execute("UPDATE households SET last_visit_at = ?, follow_up_on = ? WHERE id = ?",
                     (met[0], follow[0] if follow else None, household))
