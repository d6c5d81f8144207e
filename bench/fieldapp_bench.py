#!/usr/bin/env python
"""Field app benchmark: a tablet's first sync of a big grid, and its list.

A grid of 500 households (10 buildings) and 5,000 visits (10 per household)
is loaded into a fresh gridvisit server. Then, in Debian's Chromium driven by
Playwright, a worker of that grid signs in on a fresh tablet and opens the
grid's household list at once. Measured:

- ``first rows``: seconds from pressing 登录 until the household list shows
  its first households (target < 15 s);
- ``all 500``: seconds until all 500 households are listed;
- ``synced``: seconds until the status bar confirms the whole grid (5,501
  documents) is on the tablet and nothing is pending;
- ``render``: milliseconds to render the list of 500 households, median of
  ``--renders`` renders after the sync (target < 200 ms): the rows' HTML and
  DOM (``js``), and until the next frame is painted (``to paint``).

The peer, measured in the same run and browser: PouchDB's own replicator
pulling the same grid into a fresh IndexedDB database with default options
(``PouchDB.replicate``), no app around it. The app's first sync is reported
as a ratio to it.

Usage (from the repository root):

    .venv/bin/python bench/fieldapp_bench.py [--households 500] [--visits-each 10]
        [--renders 7] [--out bench/results/fieldapp_bench.json]
"""

import argparse
import base64
import json
import platform
import random
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LANDSCAPE  # noqa: E402
from tests.peers import gridvisit_cli, start_gridvisit  # noqa: E402

GRID, WORKER, PASSWORD = "bench", "benchworker", "bench-password-1"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂兰", "建国", "建华", "志强", "丽娟", "淑珍", "玉兰", "国强", "海燕",
         "德明", "小红", "子涵", "浩然", "欣怡", "宇轩", "凤英", "振华", "佳怡", "俊杰"]
TAGS = ["over65", "elderly_alone", "chronic", "pregnant", "disabled", "immunocompromised"]
STAMP = ["1795482900000-0000", "bench"]


def documents(households, visits_each, rng):
    """The grid: its grid document, households, then their visits."""
    at = "2026-11-20T09:00:00+08:00"
    common = {"schema": 2, "grid": GRID, "updated_at": at, "updated_by": WORKER, "device": "bench"}
    docs = [{"_id": f"grid:{GRID}", "type": "grid", **common, "name": "压测网格",
             "community": "shijia", "community_name": "史家社区"}]
    hh_ids = []
    for n in range(households):
        building, unit, room = n // 50 + 1, (n // 25) % 2 + 1, 101 + (n % 25) // 5 * 100 + n % 5
        members = [{"id": f"m{i}", "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "birth_year": rng.randint(1935, 2015), "gender": rng.choice(["male", "female"]),
                    "tags": rng.sample(TAGS, rng.choice([0, 0, 1, 2]))}
                   for i in range(1, rng.randint(1, 4) + 1)]
        colour = rng.choices(["green", "yellow", "red"], [80, 15, 5])[0]
        doc = {"_id": f"household:{GRID}:{building}-{unit}-{room}", "type": "household", **common,
               "building": f"{building}号楼", "unit": f"{unit}单元", "room": str(room),
               "address": f"史家胡同{building}号楼{unit}单元{room}", "head": members[0]["name"],
               "phone": "13{} {} {}".format(rng.randint(0, 9), rng.randint(1000, 9999),
                                           rng.randint(1000, 9999)),
               "members": members, "colour": colour,
               "stamps": {"colour": STAMP, "phone": STAMP, "members": STAMP}}
        if colour != "green":
            doc["colour_reason"] = "独居老人，需要每周探视"
        docs.append(doc)
        hh_ids.append((doc["_id"], members))
    for hh_id, members in hh_ids:
        for k in range(visits_each):
            day = 1 + k * 3 % 28
            visited = f"2026-{9 + k // 10:02d}-{day:02d}T10:{k:02d}:00+08:00"
            met = rng.random() < 0.8
            docs.append({
                "_id": f"visit:{GRID}:{uuid.UUID(int=rng.getrandbits(128))}", "type": "visit",
                **common, "updated_at": visited, "household": hh_id, "visited_at": visited,
                "worker": WORKER, "outcome": "met" if met else "not_home",
                "checks": [{"member": m["id"], "temperature": round(rng.uniform(36, 37.5), 1),
                            "bp_systolic": rng.randint(110, 150),
                            "bp_diastolic": rng.randint(70, 95),
                            "medication_on_hand": True} for m in members] if met else [],
                "services": ["测量体温和血压"], "colour_after": "green",
                "follow_up_on": f"2026-{9 + k // 10:02d}-{min(day + 7, 28):02d}",
                "notes": "走访正常", "status": "submitted"})
    return docs


def post(base, path, body, user="root", password="root-secret"):
    """POST JSON as an admin; returns the decoded answer."""
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def load_server(data_dir, households, visits_each):
    """A server holding the demo community plus the bench grid and its worker."""
    gridvisit_cli(data_dir, "seed-demo")
    peer = start_gridvisit(data_dir, username="root", password="root-secret")
    base = f"http://127.0.0.1:{peer.extra['port']}"
    post(base, "/api/grids", {"id": GRID, "name": "压测网格", "parent": "shijia"})
    gridvisit_cli(data_dir, "create-user", WORKER, "--role", "worker", stdin=PASSWORD + "\n")
    gridvisit_cli(data_dir, "assign", WORKER, "--grid", GRID)
    docs = documents(households, visits_each, random.Random(5))
    for start in range(0, len(docs), 500):
        rows = post(base, "/couch/field/_bulk_docs", {"docs": docs[start:start + 500]})
        bad = [row for row in rows if "error" in row]
        if bad:
            raise SystemExit(f"seeding failed: {bad[:3]}")
    return peer, base, len(docs)


def first_sync(browser, base, households):
    """Sign in on a fresh tablet; seconds to first rows, all rows, synced."""
    context = browser.new_context(viewport=LANDSCAPE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(120000)
    page.goto(base + "/app/#/login")
    page.wait_for_function("window.gridvisit && window.gridvisit.ready")
    page.fill("input[name=name]", WORKER)
    page.fill("input[name=password]", PASSWORD)
    started = time.perf_counter()
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#pin-form")           # the first sign-in sets the PIN (issue 21)
    page.fill("#pin-form input[name=pin]", "135790")
    page.fill("#pin-form input[name=again]", "135790")
    page.click("#pin-form button[type=submit]")
    page.wait_for_selector(".grid-card")
    page.evaluate(f"location.hash = '#/grid/{GRID}/all'")
    page.wait_for_selector(".hh-row")
    first = time.perf_counter() - started
    page.wait_for_function(f"document.querySelectorAll('.hh-row').length === {households}")
    every = time.perf_counter() - started
    page.wait_for_selector("#status .pill-ok[data-pending='0']")
    synced = time.perf_counter() - started
    count = page.evaluate("window.gridvisit.db().info().then(i => i.doc_count)")
    return page, context, {"first_rows_s": first, "all_rows_s": every, "synced_s": synced,
                           "docs_on_tablet": count}


RENDER = """async (grid) => {
  location.hash = '#/';
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  location.hash = `#/grid/${grid}/all`;
  const rows = () => document.querySelectorAll('.hh-row').length;
  while (rows() === 0) await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return {js: window.gridvisitRender.ms, paint: performance.now() - t0,
          rows: document.querySelectorAll('.hh-row').length};
}"""


def render_times(page, households, runs):
    """Median ms to render the 500-household list (rows only, and to paint)."""
    samples = [page.evaluate(RENDER, GRID) for _ in range(runs)]
    assert all(s["rows"] == households for s in samples), samples
    return {"render_js_ms": statistics.median(s["js"] for s in samples),
            "render_paint_ms": statistics.median(s["paint"] for s in samples)}


PEER = """async ({url, token}) => {
  const local = new PouchDB('peer-' + Date.now());
  const remote = new PouchDB(url, {skip_setup: true, fetch(u, opts) {
    opts.headers.set('Authorization', 'Bearer ' + token); return PouchDB.fetch(u, opts); }});
  const t0 = performance.now();
  const result = await PouchDB.replicate(remote, local);
  const ms = performance.now() - t0;
  const info = await local.info();
  await local.destroy();
  return {ms, docs: info.doc_count, ok: result.ok};
}"""


def peer_pull(browser, base):
    """PouchDB's replicator alone, pulling the same grid into IndexedDB (seconds)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(120000)
    page.goto(base + "/app/#/login")
    page.wait_for_function("window.PouchDB !== undefined")
    login = post(base, "/api/login", {"name": WORKER, "password": PASSWORD, "device": "bench-peer"})
    out = page.evaluate(PEER, {"url": base + "/couch/field", "token": login["token"]})
    context.close()
    return out["ms"] / 1000, out["docs"]


def main():
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--visits-each", type=int, default=10)
    parser.add_argument("--renders", type=int, default=7)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "fieldapp_bench.json"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix="gridvisit-fieldapp-bench-") as tmp:
        peer, base, total = load_server(Path(tmp) / "server", args.households, args.visits_each)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                peer_s, peer_docs = peer_pull(browser, base)
                page, context, sync = first_sync(browser, base, args.households)
                render = render_times(page, args.households, args.renders)
                context.close()
                browser.close()
        finally:
            peer.stop()
    result = {"households": args.households, "visits": args.households * args.visits_each,
              "docs": total, **sync, **render, "peer_pouchdb_pull_s": peer_s,
              "peer_docs": peer_docs, "sync_ratio_to_peer": sync["synced_s"] / peer_s,
              "machine": f"{platform.machine()} {platform.system()}, "
                         f"python {platform.python_version()}"}
    print(f"first sync of {args.households} households + {result['visits']} visits "
          f"({total} documents) into Chromium:")
    print(f"  household list shows data after   {sync['first_rows_s']:6.2f} s   (target < 15 s)")
    print(f"  all {args.households} households listed after  {sync['all_rows_s']:6.2f} s")
    print(f"  whole grid synced and confirmed   {sync['synced_s']:6.2f} s   "
          f"({result['sync_ratio_to_peer']:.2f}× PouchDB.replicate alone: {peer_s:.2f} s)")
    print(f"render the list of {args.households} households: "
          f"{render['render_js_ms']:6.1f} ms rows, {render['render_paint_ms']:6.1f} ms to paint"
          f"   (target < 200 ms; median of {args.renders})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
