#!/usr/bin/env python
"""What sealing the tablet's data costs: encrypted against unencrypted, in
the same Chromium run (issue 21: keep it within 1.5×).

The grid of ``fieldapp_bench.py`` (500 households in 10 buildings, 10 visits
each: 5,501 documents) is loaded into a fresh gridvisit server. In one page
of the field app, with the app's own modules, each round pulls the grid into
a fresh IndexedDB database twice — plain, and sealed with a data key
(``seal.sealDatabase``: transform-pouch, AES-GCM per document) — with the
app's sync options (``batch_size`` 250, ``batches_limit`` 4), then:

- ``first sync``: PouchDB's replication of the whole grid from the server;
- ``open + list``: what a start costs — the index the screens read built
  from the database (``store.loadIndex``: every document read, and opened
  when sealed) and the 500-row household list rendered and painted;
- ``list``: the 500-row list rendered again from the index in memory (the
  same either way: what the worker scrolls is never decrypted twice), five
  times, the median (one repaint alone measured the garbage collector).

Rounds alternate plain and sealed; medians are compared. The key derivation
(PBKDF2, 600,000 iterations) is paid once per sign-in or unlock, not per
document, and is timed apart.

Usage (from the repository root):

    .venv/bin/python bench/crypto_bench.py [--households 500] [--visits-each 10]
        [--rounds 3] [--out bench/results/crypto_bench.json]
"""

import argparse
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fieldapp_bench import GRID, PASSWORD, WORKER, load_server, post  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LANDSCAPE  # noqa: E402

ROUND = """async ({ url, token, grid, sealed }) => {
  const { sealDatabase } = await import('./js/seal.js');
  const { newDataKey } = await import('./js/keys.js');
  const store = await import('./js/store.js');
  const { renderRows } = await import('./js/screens/lists.js');
  const remote = new PouchDB(url, { skip_setup: true, fetch(u, opts) {
    opts.headers.set('Authorization', 'Bearer ' + token); return PouchDB.fetch(u, opts); } });
  const db = new PouchDB(`bench-${sealed}-${Date.now()}`, { adapter: 'indexeddb', auto_compaction: true });
  if (sealed) sealDatabase(db, await newDataKey());
  const paint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const t0 = performance.now();
  await PouchDB.replicate(remote, db, { batch_size: 250, batches_limit: 4 });
  const sync = performance.now() - t0;
  const el = document.createElement('div');
  document.body.append(el);
  const t1 = performance.now();
  await store.loadIndex(db, [grid]);
  renderRows(el, store.householdsOf(grid));
  await paint();
  const open = performance.now() - t1;
  const repaints = [];                      // the list painted again, five times: its median
  for (let i = 0; i < 5; i += 1) {
    const t2 = performance.now();
    renderRows(el, store.householdsOf(grid));
    await paint();
    repaints.push(performance.now() - t2);
  }
  const list = repaints.sort((a, b) => a - b)[2];
  const rows = el.querySelectorAll('.hh-row').length;
  const docs = (await db.info()).doc_count;
  el.remove();
  await db.destroy();
  return { sync, open, list, rows, docs };
}"""

KDF = """async () => {
  const { newDataKey, wrapUnder, unwrapWith } = await import('./js/keys.js');
  const key = await newDataKey();
  const t0 = performance.now();
  const entry = await wrapUnder(key, '246810');
  const wrap = performance.now() - t0;
  const t1 = performance.now();
  await unwrapWith(entry, '246810');
  return { wrap, unwrap: performance.now() - t1 };
}"""


def measure(browser, base, rounds):
    """Rounds of plain and sealed pulls in one page: {plain: [...], sealed: [...], kdf}."""
    context = browser.new_context(viewport=LANDSCAPE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(600000)
    page.goto(base + "/app/#/login")
    page.wait_for_function("window.gridvisit && window.gridvisit.ready")
    token = post(base, "/api/login", {"name": WORKER, "password": PASSWORD,
                                      "device": "bench-crypto"})["token"]
    args = {"url": base + "/couch/field", "token": token, "grid": GRID}
    out = {"plain": [], "sealed": []}
    for n in range(rounds):
        order = ("plain", "sealed") if n % 2 == 0 else ("sealed", "plain")
        for kind in order:
            out[kind].append(page.evaluate(ROUND, {**args, "sealed": kind == "sealed"}))
            print(f"  round {n + 1} {kind:6}: " + ", ".join(
                f"{k} {v:.0f}" for k, v in out[kind][-1].items()), flush=True)
    out["kdf"] = page.evaluate(KDF)
    context.close()
    return out


def main():
    """Run the benchmark and print its ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--visits-each", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "crypto_bench.json"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix="gridvisit-crypto-bench-") as tmp:
        peer, base, total = load_server(Path(tmp) / "server", args.households, args.visits_each)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                runs = measure(browser, base, args.rounds)
                browser.close()
        finally:
            peer.stop()
    # Every pull holds the whole grid (and the shared rules:* documents): the same count.
    counts = {r["docs"] for kind in ("plain", "sealed") for r in runs[kind]}
    bad = [r for kind in ("plain", "sealed") for r in runs[kind] if r["rows"] != args.households]
    if bad or len(counts) != 1 or min(counts) < total:
        raise SystemExit(f"incomplete pull: {counts} documents (grid {total}), {bad}")
    med = {kind: {m: statistics.median(r[m] for r in runs[kind]) for m in ("sync", "open", "list")}
           for kind in ("plain", "sealed")}
    ratio = {m: med["sealed"][m] / med["plain"][m] for m in ("sync", "open", "list")}
    result = {"households": args.households, "docs": total, "rounds": args.rounds,
              "median_ms": med, "ratio_sealed_to_plain": ratio, "kdf_ms": runs["kdf"],
              "runs": runs, "machine": f"{platform.machine()} {platform.system()}, "
                                       f"python {platform.python_version()}"}
    print(f"{args.households} households, {total} documents, median of {args.rounds} rounds "
          "(sealed / plain, target within 1.5×):")
    for m, label in (("sync", "first sync"), ("open", "open + list"), ("list", "list again")):
        print(f"  {label:12} {med['sealed'][m]:8.0f} ms sealed  {med['plain'][m]:8.0f} ms plain"
              f"   {ratio[m]:.2f}×")
    print(f"  key derivation (PBKDF2-SHA256, 600,000 iterations): wrap "
          f"{runs['kdf']['wrap']:.0f} ms, unwrap {runs['kdf']['unwrap']:.0f} ms, once per unlock")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
