"""A lived-in demo community for the console's tests and screenshots.

``populate(app)`` seeds the demo community (``server/cli/demo.py``: 史家社区,
grids g1–g3, wangfang/liqiang/zhangwei/admin) and then adds two weeks of
recent work, relative to now: visits most days, reviews of the older ones
(some sent back with a comment), requests on each SLA clock in every state
(one overdue), referrals, closed requests with the residents' satisfaction,
visits with early warnings, notices read by a tablet, a flagged conflict on
a household (two tablets changed its colour offline), two tablets' device
tokens, a quarantined document and a nightly replication run. Everything is valid against the schemas, written
through the store as a server would hold it, and reproducible (seeded).
"""

import copy
import random
import uuid
from datetime import datetime, timedelta

from server.cli import demo
from rules.hlc import Clock
from rules.stamps import stamp_edit
from server.services import services

CST = demo.CST
NS = uuid.UUID("0b9a4a57-44c8-4f39-9a55-0f6f3b1e7c21")
NEEDS = ({"kind": "medicine", "detail": "降糖药送药上门", "urgency": "high"},
         {"kind": "doctor", "detail": "预约家庭医生上门", "urgency": "normal"},
         {"kind": "groceries", "detail": "代购米面油", "urgency": "normal"},
         {"kind": "psychological", "detail": "情绪低落，需要心理疏导", "urgency": "normal"})
COMMENTS = ("血压记录不完整，请补测后重新提交", "照片缺失，请补拍门牌", "走访时间与轨迹不符，请核实")


def _iso(moment):
    return moment.isoformat(timespec="seconds")


def _visit(household, worker, at, colour=None, outcome="met"):
    grid = household["grid"]
    key = uuid.uuid5(NS, f"{household['_id']}@{at.isoformat()}").hex
    colour = colour or household["colour"]
    doc = {"_id": f"visit:{grid}:{key}", "type": "visit", "schema": 2, "grid": grid,
           "updated_at": _iso(at + timedelta(minutes=5)), "updated_by": worker,
           "device": f"平板-{worker}", "household": household["_id"], "visited_at": _iso(at),
           "worker": worker, "outcome": outcome, "needs": [], "colour_after": colour,
           "services": ["测量体温和血压"], "status": "submitted",
           "checks": [{"member": m["id"], "temperature": 36.5, "bp_systolic": 128,
                       "bp_diastolic": 80} for m in household["members"] if m.get("tags")]
           if outcome == "met" else []}
    if colour != "green":
        doc["colour_reason"] = household.get("colour_reason") or "需要持续关注"
    if colour == "red":
        doc["follow_up_on"] = (at + timedelta(days=1)).date().isoformat()
        doc["needs"] = [NEEDS[int(key[:4], 16) % len(NEEDS)]]
    elif colour == "yellow":
        doc["follow_up_on"] = (at + timedelta(days=3)).date().isoformat()
    return doc


def _review(visit, state, by, at, comment=None):
    doc = {"_id": f"review:{visit['_id']}", "type": "review", "schema": 2,
           "grid": visit["grid"], "updated_at": _iso(at), "updated_by": by, "device": "console",
           "visit": visit["_id"], "state": state, "reviewer": by, "reviewed_at": _iso(at)}
    if comment:
        doc["comment"] = comment
    return doc


def _request(household, worker, opened, sla, status, detail, kind, urgency, times=(),
             **extra):
    grid = household["grid"]
    key = uuid.uuid5(NS, f"{household['_id']}:{sla}:{status}:{kind}").hex
    status_times = {"referred" if kind == "referral" else "open": _iso(opened)}
    for name, minutes in times:
        status_times[name] = _iso(opened + timedelta(minutes=minutes))
    doc = {"_id": f"request:{grid}:{key}", "type": "request", "schema": 2, "grid": grid,
           "updated_at": _iso(opened), "updated_by": worker, "device": f"平板-{worker}",
           "household": household["_id"], "kind": kind, "detail": detail, "urgency": urgency,
           "sla": sla, "status": status, "status_times": status_times,
           "opened_at": _iso(opened), "assignee": worker, **extra}
    if status == "closed" and "satisfaction" in extra:
        doc["satisfaction_at"] = status_times["closed"]
    return stamp_edit(None, doc, Clock(f"平板-{worker}"))


def populate(app, now=None, days=14):
    """Seed the demo community and two weeks of recent work; returns a summary."""
    demo.seed(app)
    ext = services(app)
    db = ext.store.get(app.config["FIELD_DB"])
    now = now or datetime.now(CST)
    rng = random.Random(20241124)
    homes = [row["doc"] for row in db.all_docs(startkey="household:", endkey="household:\ufff0",
                                                include_docs=True)["rows"]]
    workers = {grid: name for name, _d, role, held in demo.ACCOUNTS if role == "worker"
               for grid in held}
    reds = [h for h in homes if h["colour"] == "red"]
    neglected = {reds[0]["_id"], reds[1]["_id"]}      # red, and nobody came for days
    docs, visits = [], []
    for back in range(days - 1, -1, -1):
        day = (now - timedelta(days=back)).replace(hour=9, minute=0, second=0, microsecond=0)
        for home in homes:
            if home["_id"] in neglected and back < 4:
                continue
            chance = 0.9 if home["colour"] == "red" else 0.45 if home["colour"] == "yellow" \
                else 0.12
            if rng.random() > chance:
                continue
            at = day + timedelta(minutes=rng.randint(0, 8 * 60))
            if at > now - timedelta(minutes=20):
                continue
            outcome = rng.choice(["met"] * 8 + ["not_home", "refused"])
            visits.append(_visit(home, workers[home["grid"]], at, outcome=outcome))
    docs += visits
    reviewed = [v for v in visits if v["visited_at"] < _iso(now - timedelta(days=3))]
    for n, visit in enumerate(reviewed):
        at = datetime.fromisoformat(visit["visited_at"]) + timedelta(hours=20)
        if n % 11 == 5:
            docs.append(_review(visit, "needs_fix", "zhangwei", at, COMMENTS[n % 3]))
        else:
            docs.append(_review(visit, "approved", "zhangwei", at))
    by_grid = {grid: [h for h in homes if h["grid"] == grid] for grid in workers}
    g1, g2, g3 = by_grid["g1"], by_grid["g2"], by_grid["g3"]
    docs += [
        _request(g1[0], "wangfang", now - timedelta(minutes=14), "onsite_5m", "open",
                 "老人在家摔倒，家属请求网格员到场", "doctor", "urgent"),
        _request(g1[1], "wangfang", now - timedelta(minutes=8), "fix_20m", "assigned",
                 "楼道灯不亮，老人夜间出行不便", "repair", "high", [("assigned", 2)]),
        _request(g2[2], "wangfang", now - timedelta(days=1, hours=3), "plan_2d", "accepted",
                 "申请家庭医生签约上门服务", "referral", "normal", [("accepted", 600)],
                 target="family_doctor", target_name="史家社区卫生服务站 王医生"),
        _request(g1[2], "wangfang", now - timedelta(hours=2), "onsite_5m", "referred",
                 "血氧 91%，气促，建议转诊医院", "referral", "urgent", target="hospital",
                 target_name="东城区第一人民医院", member="m1", rule="spo2-low"),
        _request(g2[3], "wangfang", now - timedelta(days=4), "plan_2d", "closed",
                 "慢阻肺复诊转诊", "referral", "high",
                 [("accepted", 90), ("seen", 1500), ("closed", 3000)], target="hospital",
                 satisfaction="basically_satisfied", satisfaction_comment="转诊顺利，排队稍久"),
        _request(g1[3], "wangfang", now - timedelta(days=5), "fix_20m", "closed",
                 "代购降压药", "medicine", "high",
                 [("assigned", 2), ("in_progress", 8), ("resolved", 19), ("closed", 60)],
                 satisfaction="satisfied"),
        _request(g1[4], "wangfang", now - timedelta(days=6), "fix_20m", "closed",
                 "水管漏水维修", "repair", "normal",
                 [("assigned", 5), ("in_progress", 15), ("resolved", 40), ("closed", 90)],
                 satisfaction="dissatisfied", satisfaction_comment="维修拖了半天"),
        _request(g3[5], "liqiang", now - timedelta(days=2), "fix_20m", "closed",
                 "代购米面油", "groceries", "normal",
                 [("assigned", 3), ("in_progress", 10), ("resolved", 18), ("closed", 45)],
                 satisfaction="satisfied"),
        _request(g3[3], "liqiang", now - timedelta(hours=5), "fix_20m", "resolved",
                 "降压药断药，需代购", "medicine", "urgent",
                 [("assigned", 3), ("in_progress", 9), ("resolved", 18)]),
        _request(g3[4], "liqiang", now - timedelta(days=3), "plan_2d", "open",
                 "反映小区噪音扰民", "complaint", "low"),
    ]
    docs += _care(g1, now)
    assert all("ok" in row for row in db.bulk_docs(docs)), "populate: a document was refused"
    flagged = _conflict(db, next(h for h in g2 if h["colour"] == "yellow"), now)
    _extras(app, now)
    return {"visits": visits, "flagged": flagged, "neglected": sorted(neglected)}


def _care(g1, now):
    """Two visits with early warnings (one taken, one overridden) and two
    notices (one expired), read by 王芳's tablet."""
    spo2 = _visit(g1[2], "wangfang", now - timedelta(hours=2, minutes=10), colour="red")
    spo2.update(colour_reason="血氧 91%，已转诊医院", rules_version=1,
                checks=[{"member": "m1", "temperature": 37.0, "spo2": 91}],
                warnings=[{"rule": "spo2-low", "member": "m1", "colour": "red",
                           "referral": "hospital", "decision": "accepted",
                           "reason": "血氧饱和度低于 93%，有重症倾向，建议尽快转诊"}])
    fever = _visit(g1[5], "wangfang", now - timedelta(hours=1), colour="green")
    fever.pop("colour_reason", None)
    member = g1[5]["members"][0]["id"]
    fever.update(rules_version=1, checks=[{"member": member, "temperature": 37.6}],
                 warnings=[{"rule": "fever", "member": member, "colour": "yellow",
                            "decision": "overridden", "reason": "发热 37.3 °C 以上，请明天复访",
                            "override_reason": "刚从室外回来，十分钟后复测 36.8 °C"}])
    docs = [spo2, fever]
    for key, title, priority, published, expires in (
            ("cold-wave", "寒潮预警：今晚起降温 8 °C", "urgent", now - timedelta(hours=5),
             now + timedelta(days=2)),
            ("flu-jab", "流感疫苗接种通知", "normal", now - timedelta(days=9),
             now - timedelta(days=2))):
        for grid in ("g1", "g2"):
            docs.append({"_id": f"notice:{grid}:{key}", "type": "notice", "schema": 2,
                         "grid": grid, "updated_at": _iso(published), "updated_by": "zhangwei",
                         "device": "console:zhangwei", "title": title, "priority": priority,
                         "body": "请逐户提醒独居和高龄老人做好准备，发现异常及时上报。",
                         "audience": {"kind": "community", "id": "shijia"},
                         "published_by": "zhangwei", "published_at": _iso(published),
                         "expires_at": _iso(expires)})
        read = published + timedelta(minutes=40)
        docs.append({"_id": f"receipt:g1:{key}-wangfang", "type": "receipt", "schema": 2,
                     "grid": "g1", "updated_at": _iso(read), "updated_by": "wangfang",
                     "device": "平板-07", "notice": f"notice:g1:{key}", "reader": "wangfang",
                     "read_at": _iso(read)})
    return docs


def _conflict(db, home, now):
    """Two tablets changed yellow ``home``'s colour offline (green and red):
    a flagged merge."""
    current = db.get(home["_id"])
    ms = int(now.timestamp() * 1000)
    a, b = copy.deepcopy(current), copy.deepcopy(current)
    a.update(colour="green", updated_by="wangfang", device="平板-07")
    a.pop("colour_reason", None)
    b.update(colour="red", colour_reason="夜间再次发热39度", updated_by="wangfang", device="平板-08",
             phone="139 1234 5678")
    a = stamp_edit(current, a, Clock("平板-07", now_ms_fn=lambda: ms - 3_600_000))
    b = stamp_edit(current, b, Clock("平板-08", now_ms_fn=lambda: ms - 1_800_000))
    parent = current["_rev"]
    pos, digest = parent.split("-")
    for leaf, mark in ((a, "a"), (b, "b")):
        leaf.pop("_revisions", None)
        leaf["_rev"] = f"{int(pos) + 1}-{mark * 32}"
        leaf["_revisions"] = {"start": int(pos) + 1, "ids": [mark * 32, digest]}
    assert db.bulk_docs([a, b], new_edits=False) == []
    return home["_id"]


def _extras(app, now):
    ext = services(app)
    accounts, tokens = ext.accounts, ext.tokens
    for name, device in (("wangfang", "平板-07"), ("liqiang", "平板-12"), ("wangfang", "旧平板-03")):
        _token, token_id = tokens.issue(accounts.by_name(name), device)
        if device.startswith("旧"):
            tokens.revoke(token_id)
    for token in tokens.list():
        with tokens.db.connect() as conn:
            conn.execute("UPDATE device_tokens SET last_seen = ? WHERE id = ?",
                         (now.timestamp() - 600 * token["id"], token["id"]))
    bad = {"_id": "visit:g2:quarantined1", "type": "visit", "grid": "g2", "schema": 2,
           "household": "household:g2:1-1-101", "outcome": "met", "colour_after": "red",
           "worker": "wangfang", "visited_at": _iso(now), "status": "submitted"}
    ext.quarantine.keep(app.config["FIELD_DB"], bad, "wangfang", "平板-07",
                        "colour_reason: 黄色或红色时必须填写原因 / required",
                        [{"field": "colour_reason", "rule": "required",
                          "zh": "黄色或红色时必须填写原因",
                          "en": "required when the colour is yellow or red"}])
    runs = ext.runs
    _past_nights(runs, now)
    run = runs.start("nightly-push", "local:field", "https://hub.example/dongcheng_field")
    runs.finish(run, {"docs_read": 412, "docs_written": 412, "doc_write_failures": 0})


def _past_nights(runs, now):
    """A week of nightly runs before today's: push and pull each night at
    02:00, the push of three nights ago failed (the hub was down)."""
    hub = "https://hub.example/dongcheng_field"
    for days in range(6, 0, -1):
        night = (now - timedelta(days=days)).replace(hour=2, minute=0, second=0).timestamp()
        for job, source, target, docs in (("nightly-push", "local:field", hub, 300 + 17 * days),
                                           ("nightly-pull", hub, "local:field", 3)):
            run = runs.start(job, source, target)
            failed = job == "nightly-push" and days == 3
            runs.finish(run, {"docs_read": 120 if failed else docs,
                              "docs_written": 100 if failed else docs, "doc_write_failures": 0},
                        error="复制失败 / replication failed: hub.example unreachable "
                              "(connection refused) after 5 tries" if failed else None)
            took = 41.5 if job == "nightly-push" else 2.3
            with runs.db.connect() as conn:
                conn.execute("UPDATE replication_runs SET started = ?, ended = ? WHERE id = ?",
                             (night, night + took, run))
