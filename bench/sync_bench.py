#!/usr/bin/env python
"""Sync benchmark: gridvisit vs pouchdb-server vs the PouchDB client's floor.

W1  pull a database of 10,000 ~1 KB documents (households and visits of a few
    grids) into a fresh PouchDB (node, memory adapter), default batch size.
W2  push 2,000 new visit documents from PouchDB (memory) to the server.

Each workload runs against a fresh gridvisit server and a fresh pouchdb-server
(on-disk leveldb store), both started here in a temporary directory, and as
the client's floor: the same replication PouchDB memory -> PouchDB memory in
node with no server at all. Runs are interleaved (floor, gridvisit,
pouchdb-server, floor, ...) so that drift hits every target alike; the
reported figure is the median of ``--runs`` runs.

Both servers receive the W1 source data the same way: ``_bulk_docs`` with
``new_edits=false`` from one generated JSON file, so both hold identical
documents and revisions (households carry 1-3 revisions of history).

A server's share is its wall time minus the floor. The target is
gridvisit share <= 0.5 x pouchdb-server share.

Usage (from the repository root):

    .venv/bin/python bench/sync_bench.py [--runs 3] [--docs 10000] [--push 2000]
        [--servers gridvisit,pouchdb-server] [--keep] [--out bench/results/sync_bench.json]
"""

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from tests.peers import start_gridvisit, start_pouchdb_server  # noqa: E402

DB = "bench"
SERVERS = ("gridvisit", "pouchdb-server")
TARGETS = ("floor",) + SERVERS

# ------------------------------------------------------------------ data --

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["秀英", "桂兰", "建国", "建华", "志强", "丽娟", "淑珍", "玉兰", "国强", "海燕",
         "文明", "春梅", "德明", "小红", "子涵", "浩然", "一诺", "欣怡", "宇轩", "梓萱",
         "凤英", "秀兰", "永福", "振华", "佳怡", "俊杰", "明轩", "雨桐", "金凤", "卫东"]
COMMUNITIES = [  # (street, community, grid id prefix)
    ("劲松街道", "农光里社区", "ngl"), ("劲松街道", "华威西里社区", "hwxl"),
    ("潘家园街道", "磨房北里社区", "mfbl"), ("双井街道", "九龙社区", "jl"),
]
RELATIONS = ["户主", "配偶", "子女", "父母", "孙辈", "租户", "保姆"]
TAGS = ["65岁以上", "空巢老人", "独居老人", "慢性病", "高血压", "糖尿病", "孕产妇",
        "残疾人", "免疫力低下", "低保户"]
COLOURS = [("green", "放心行：家人同住，身体状况稳定"),
           ("yellow", "停一停：独居老人，需定期上门查看"),
           ("red", "要上心：慢性病用药不足，行动不便")]
OUTCOMES = ["met", "met", "met", "met", "not_home", "refused", "moved"]
NEEDS = [("medicine", "代购降压药、降糖药"), ("groceries", "帮忙买菜送上门"),
         ("doctor", "联系家庭医生上门问诊"), ("repair", "楼道灯不亮，水管漏水"),
         ("talk", "老人独居，希望有人常来聊聊天")]
SERVICES = ["测量血压", "代购药品", "联系家庭医生", "宣传防诈骗知识", "检查燃气安全",
            "登记就医需求", "协助预约挂号", "送达便民服务卡"]
NOTES = ["老人精神状态良好，家中整洁。", "血压偏高，已提醒按时服药并联系家庭医生。",
         "子女在外地工作，每周电话联系一次。", "敲门无人应答，已在门上留联系卡。",
         "楼道堆放杂物，已提醒清理，消防通道需保持畅通。", "老人腿脚不便，下楼困难，需代购生活物资。",
         "已告知社区服务热线和网格员电话，遇事随时联系。", "冬季取暖正常，燃气报警器工作正常。",
         "家属表示近期准备接老人同住，下次走访确认。", "近期有陌生人上门推销保健品，已提醒防范诈骗。"]


def _rev_hash(*parts):
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng):
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def _hlc(rng, device):
    return f"{1_700_000_000_000 + rng.randrange(40_000_000_000):016d}:{rng.randrange(100):04d}:{device}"


def _with_revs(doc, n_revs):
    """Give ``doc`` a history of ``n_revs`` revisions (for new_edits=false)."""
    ids = [_rev_hash(doc["_id"], i) for i in range(n_revs, 0, -1)]
    doc["_rev"] = f"{n_revs}-{ids[0]}"
    doc["_revisions"] = {"start": n_revs, "ids": ids}
    return doc


def household_doc(rng, grid, street, community, hh):
    device = f"tablet-{grid}-{rng.randrange(1, 4)}"
    colour, reason = rng.choices(COLOURS, weights=[70, 22, 8])[0]
    members = []
    for m in range(rng.randrange(1, 5)):
        members.append({
            "id": f"m{m + 1}", "name": _name(rng), "gender": rng.choice("男女"),
            "birth_year": rng.randrange(1930, 2020),
            "relation": RELATIONS[0] if m == 0 else rng.choice(RELATIONS[1:]),
            "tags": rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2, 3])),
        })
    doc = {
        "_id": f"household:{grid}:{hh}",
        "type": "household", "grid": grid,
        "district": "朝阳区", "street": street, "community": community,
        "address": {"building": f"{rng.randrange(1, 30)}号楼", "unit": f"{rng.randrange(1, 7)}单元",
                    "room": f"{rng.randrange(1, 19)}{rng.randrange(1, 5):02d}室"},
        "head": members[0]["name"], "phone": _phone(rng), "members": members,
        "colour": colour, "colour_reason": reason,
        "stamps": {f: _hlc(rng, device) for f in ("address", "head", "phone", "members", "colour")},
        "updated_by": f"worker-{grid}-{rng.randrange(1, 4)}",
    }
    return _with_revs(doc, rng.choices([1, 2, 3], weights=[60, 30, 10])[0])


def visit_doc(rng, grid, households, vid=None):
    hh = rng.choice(households)
    outcome = rng.choice(OUTCOMES)
    met = outcome == "met"
    needs = rng.sample(NEEDS, rng.choice([0, 0, 1, 1, 2])) if met else []
    doc = {
        "_id": f"visit:{grid}:{vid or uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "type": "visit", "grid": grid, "household": hh,
        "time": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
                f"{rng.randrange(8, 20):02d}:{rng.randrange(60):02d}:00+08:00",
        "worker": {"id": f"worker-{grid}-{rng.randrange(1, 4)}", "name": _name(rng)},
        "device": f"tablet-{grid}-{rng.randrange(1, 4)}",
        "campaign": "敲门行动", "outcome": outcome,
        "member_checks": [
            {"member": f"m{i + 1}", "present": rng.random() < 0.8,
             "health": rng.choice(["良好", "一般", "较差"]),
             "blood_pressure": f"{rng.randrange(100, 170)}/{rng.randrange(60, 100)}"}
            for i in range(rng.randrange(1, 3) if met else 0)],
        "needs": [{"kind": k, "detail": d, "sla": "52022"} for k, d in needs],
        "services": rng.sample(SERVICES, rng.randrange(0, 3)) if met else [],
        "colour_after": rng.choices(["green", "yellow", "red"], weights=[70, 22, 8])[0],
        "follow_up": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "notes": "".join(rng.sample(NOTES, rng.randrange(3, 7))),
        "photos": [],
        "location": {"lat": round(39.88 + rng.random() / 50, 6),
                     "lng": round(116.45 + rng.random() / 50, 6), "accuracy_m": rng.randrange(5, 60)},
        "status": "submitted",
        "submitted_at": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
                        f"{rng.randrange(8, 22):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}+08:00",
        "app_version": "fieldapp/0.1.0",
    }
    return doc


def generate(n_docs, seed=20240601):
    """``n_docs`` documents with revisions: grids of ~300 households, 4 visits each."""
    rng = random.Random(seed)
    n_households = max(1, n_docs // 5)
    grids, docs, by_grid = [], [], {}
    per_grid = 300
    for g in range((n_households + per_grid - 1) // per_grid):
        street, community, prefix = COMMUNITIES[g % len(COMMUNITIES)]
        grids.append((f"{prefix}{g // len(COMMUNITIES) + 1:02d}", street, community))
    for i in range(n_households):
        grid, street, community = grids[i % len(grids)]
        doc = household_doc(rng, grid, street, community, f"{i // len(grids) + 1:04d}")
        docs.append(doc)
        by_grid.setdefault(grid, []).append(doc["_id"])
    while len(docs) < n_docs:
        grid = rng.choice(grids)[0]
        docs.append(_with_revs(visit_doc(rng, grid, by_grid[grid]), 1))
    return docs, by_grid


def generate_push(n, by_grid, run, seed=777):
    """``n`` new visits (no revisions: the tablet creates them), unique per run."""
    rng = random.Random(seed + run)
    grids = sorted(by_grid)
    return [visit_doc(rng, g, by_grid[g], vid=f"bench{run}-{i:05d}")
            for i, g in ((i, rng.choice(grids)) for i in range(n))]


def doc_bytes(doc):
    return len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())


# ------------------------------------------------------------ processes --

def vm_hwm_kb(pid):
    """Peak resident set size (VmHWM) of ``pid`` in kB, or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_hwm(pid):
    """Reset VmHWM to the current RSS (``echo 5 > clear_refs``); True if done."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def descendants(pid):
    """``pid`` and every process below it (gunicorn's master and workers)."""
    found, stack = [], [pid]
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(children(item))
    return found


def tree_hwm_kb(pid):
    """VmHWM summed over ``pid``'s process tree, in kB (an upper bound of
    the tree's peak: the processes need not peak at the same moment)."""
    return sum(vm_hwm_kb(p) or 0 for p in descendants(pid))


def reset_tree_hwm(pid):
    """Reset VmHWM of every process in the tree; True if all were reset."""
    return all([reset_hwm(p) for p in descendants(pid)])


def process_name(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def children(pid):
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    except OSError:
        return []


def remote(peer):
    return {"url": f"{peer.base}/{DB}", "username": peer.username, "password": peer.password}


def load(peer, docs):
    """Create the database and load ``docs`` with their revisions; returns seconds."""
    seconds = common.load(peer, DB, docs)
    sample = docs[len(docs) // 2]
    status, got = peer.request("GET", f"{DB}/{sample['_id']}")
    if status != 200 or got.get("_rev") != sample["_rev"]:
        raise RuntimeError(f"{peer.name}: sample {sample['_id']} -> {status} {got!r}")
    return seconds


# ------------------------------------------------------------------ main --

def fmt_ms(value):
    return "-" if value is None else f"{value:,.0f}"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}"


def summarise(results, servers):
    summary = {}
    for workload, per_target in results.items():
        med = {t: statistics.median(r["ms"] for r in runs) for t, runs in per_target.items()}
        floor = med.get("floor")
        entry = {"median_ms": med, "floor_ms": floor, "share_ms": {}}
        for s in servers:
            if s in med:
                entry["share_ms"][s] = med[s] - floor
        gv, ps = "gridvisit", "pouchdb-server"
        entry["wall_ratio"] = ratio(med.get(gv), med.get(ps))
        entry["share_ratio"] = ratio(entry["share_ms"].get(gv), entry["share_ms"].get(ps))
        entry["share_target_met"] = (None if entry["share_ratio"] is None
                                     else entry["share_ratio"] <= 0.5)
        summary[workload] = entry
    return summary


def print_table(summary, rss, servers, runs):
    cols = ["workload", "floor ms"] + [f"{s} ms" for s in servers]
    cols += [f"{s} share" for s in servers]
    if len(servers) == 2:
        cols += ["wall gv/ps", "share gv/ps (≤0.50)"]
    rows = []
    for workload, e in summary.items():
        row = [workload, fmt_ms(e["floor_ms"])]
        row += [fmt_ms(e["median_ms"].get(s)) for s in servers]
        row += [fmt_ms(e["share_ms"].get(s)) for s in servers]
        if len(servers) == 2:
            met = e["share_target_met"]
            row += [fmt_ratio(e["wall_ratio"]),
                    fmt_ratio(e["share_ratio"]) + ("" if met is None else (" ok" if met else " MISS"))]
        rows.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    line = "  ".join("{:>%d}" % w for w in widths)
    print(f"\nmedian of {runs} runs (wall = replication time measured in node; "
          "share = wall - floor)")
    print(line.format(*cols))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    print("\npeak RSS (VmHWM summed over the server's process tree: gunicorn master + workers)")
    for s in servers:
        r = rss[s]
        sync = "-" if r["sync_peak_mb"] is None else f"{r['sync_peak_mb']:.1f} MB"
        print(f"  {s:15s} pid {r['pid']} ({r['process']}): whole run {r['peak_mb']:.1f} MB, "
              f"during W1+W2 only {sync}, after load {r['after_load_mb']:.1f} MB"
              + (f"  [processes: {[r['pid']] + r['children']}]" if r["children"] else ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--docs", type=int, default=10_000, help="W1 database size")
    ap.add_argument("--push", type=int, default=2_000, help="W2 new documents")
    ap.add_argument("--servers", default=",".join(SERVERS),
                    help="comma list of gridvisit,pouchdb-server")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--out", default=str(BENCH / "results" / "sync_bench.json"))
    args = ap.parse_args(argv)
    servers = [s for s in SERVERS if s in args.servers.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="gridvisit-bench-"))
    print(f"data dir: {tmp}")
    docs, by_grid = generate(args.docs)
    data_file = tmp / "w1_docs.json"
    data_file.write_text(json.dumps(docs, ensure_ascii=False))
    sizes = [doc_bytes(d) for d in docs]
    kinds = {k: sum(1 for d in docs if d["type"] == k) for k in ("household", "visit")}
    print(f"W1 data: {len(docs)} docs ({kinds['household']} households, {kinds['visit']} visits, "
          f"{len(by_grid)} grids), mean {statistics.mean(sizes):.0f} B, "
          f"total {sum(sizes) / 1e6:.1f} MB")
    push_files = []
    for run in range(args.runs):
        path = tmp / f"w2_push_{run}.json"
        path.write_text(json.dumps(generate_push(args.push, by_grid, run), ensure_ascii=False))
        push_files.append(path)

    peers = {}
    try:
        for s in servers:
            if s == "gridvisit":
                peers[s] = start_gridvisit(tmp / "gridvisit")
            else:
                peers[s] = start_pouchdb_server(tmp / "pouchdb-server")
        rss, load_s = {}, {}
        for s, peer in peers.items():
            load_s[s] = load(peer, docs)
            print(f"loaded {s} in {load_s[s]:.1f} s")
            pid = peer.proc.pid
            rss[s] = {"pid": pid, "process": process_name(pid), "children": children(pid),
                      "after_load_mb": tree_hwm_kb(pid) / 1024}
            rss[s]["hwm_reset"] = reset_tree_hwm(pid)

        targets = ["floor"] + servers
        results = {f"W1 pull {args.docs}": {t: [] for t in targets},
                   f"W2 push {args.push}": {t: [] for t in targets}}
        w1, w2 = results.keys()
        sample = {"_id": docs[len(docs) // 3]["_id"], "_rev": docs[len(docs) // 3]["_rev"]}
        for run in range(args.runs):                 # all W1 runs first: W2 grows the db
            for t in targets:
                payload = ({"floor": True, "data_file": str(data_file)} if t == "floor"
                           else {"remote": remote(peers[t])})
                r = common.run_node(BENCH / "w1_pull.js", dict(payload, expect=len(docs), sample=sample))
                results[w1][t].append(r)
                print(f"  W1 run {run + 1} {t:15s} {r['ms']:9.0f} ms  ({r['docs_written']} docs)")
        for run in range(args.runs):
            for t in targets:
                payload = ({"floor": True, "data_file": str(data_file)} if t == "floor"
                           else {"remote": remote(peers[t])})
                r = common.run_node(BENCH / "w2_push.js", dict(payload, push_file=str(push_files[run])))
                results[w2][t].append(r)
                print(f"  W2 run {run + 1} {t:15s} {r['ms']:9.0f} ms  ({r['docs_written']} docs)")

        for s, peer in peers.items():
            pid = peer.proc.pid
            peak = tree_hwm_kb(pid) / 1024
            rss[s]["sync_peak_mb"] = peak if rss[s]["hwm_reset"] else None
            rss[s]["peak_mb"] = max(peak, rss[s]["after_load_mb"])
            rss[s]["children"] = sorted(set(rss[s]["children"]) | set(children(pid)))
    finally:
        for peer in peers.values():
            peer.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    summary = summarise(results, servers)
    print_table(summary, rss, servers, args.runs)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"python": platform.python_version(), "machine": platform.machine(),
                 "cpus": os.cpu_count(),
                 "node": subprocess.run(["node", "--version"], capture_output=True,
                                        text=True).stdout.strip()},
        "params": {"runs": args.runs, "docs": args.docs, "push": args.push,
                   "servers": servers, "mean_doc_bytes": statistics.mean(sizes),
                   "households": kinds["household"], "visits": kinds["visit"],
                   "grids": len(by_grid)},
        "load_seconds": load_s,
        "summary": summary,
        "rss": rss,
        "runs": results,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
