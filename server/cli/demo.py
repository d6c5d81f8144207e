"""A demo community, so a newcomer can sign in and see real-looking data at once.

朝阳门街道 › 史家社区 › 网格一/二/三: worker 王芳 (wangfang) has grids g1 and
g2, worker 李强 (liqiang) g3, supervisor 张伟 (zhangwei) the community. Each
grid has three buildings of eight households, dealt from ``PROFILES`` by a
random generator seeded with the grid id, so every run builds the same
documents; a visit for every yellow or red household, and a request for the
first red one of each grid. The care loop shows too: an elder whose SpO2
was 91 % raised the early warning, the worker accepted it and the hospital
has accepted the referral; the supervisor's notice to the community has
been read by both workers; the community's winter campaign 冬季重点人群关爱摸排
(``demo_campaign``, its XLSForm in ``docs/``) has its first answer, and the
community's rule set is the shipped one plus a rule reading that campaign
(no emergency contact → yellow, ``demo_rules``). All of it happened yesterday, at fixed times
of day — except the visit to each grid's second red household, three days
ago, so the worker is behind on it and it is due a visit (待办 需走访, the
dashboard's 需走访的预警住户) — from the device ``seed``, so two servers
seeded the same day hold identical revisions. Each head of household has a
made-up ID number (area code 110101, an invented date in their birth year
and sequence, a valid check digit). Seeding skips every document and account
that exists already.
"""

import random
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sync.errors import NotFound

from rules import warning_rules as rules
from rules.idnumber import check_digit
from server.accounts.users import AccountError
from rules.schemas import validate
from server.cli import demo_campaign
from server.services import services

STREET = ("chaoyangmen", "朝阳门街道")
COMMUNITY = ("shijia", "史家社区")
GRIDS = (("g1", "网格一", "史家胡同"), ("g2", "网格二", "内务部街"), ("g3", "网格三", "演乐胡同"))
ACCOUNTS = (  # name, display name, role, grids or communities
    ("wangfang", "王芳", "worker", ("g1", "g2")),
    ("liqiang", "李强", "worker", ("g3",)),
    ("zhangwei", "张伟", "supervisor", (COMMUNITY[0],)),
)
ADMIN = ("admin", "管理员")
DEVICE = "seed"
CST = timezone(timedelta(hours=8))
# The demo happened yesterday (China Standard Time), so it looks current;
# two servers seeded on the same day still hold identical revisions.
YESTERDAY = (datetime.now(CST) - timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
STAMPED_AT = YESTERDAY + timedelta(hours=6)
BEHIND = timedelta(days=2)              # how far behind the worker is on one red household
HLC = f"{int(STAMPED_AT.timestamp() * 1000):013d}-0000"
NAMESPACE = uuid.UUID("5b7c1f0e-2d4a-4c1e-9a37-6f1d0c9e8b21")
NOTICE_KEY = uuid.uuid5(NAMESPACE, "notice:heating").hex     # the demo notice's {uuid}
# A rule reading the winter campaign's answers: no one to call in an emergency.
NO_CONTACT = {"id": "no-emergency-contact", "colour": "yellow", "referral": None,
              "reason": {"zh": "冬季摸排：无紧急联系人，请尽快帮助登记",
                         "en": "Winter campaign: no one to call in an emergency; help find one"},
              "when": {"answer": f"campaign:community:{COMMUNITY[0]}:{demo_campaign.KEY}",
                       "question": "has_contact", "op": "==", "value": "no"}}

NAMES = {  # (era, gender) -> given names
    ("old", "male"): "建国 德明 国华 振华 福生", ("old", "female"): "桂兰 秀英 淑珍 玉兰 凤英",
    ("mid", "male"): "志强 海涛 建军 卫东 永刚", ("mid", "female"): "丽华 红梅 晓燕 春燕 静",
    ("adult", "male"): "磊 鹏 超 晨阳 一鸣", ("adult", "female"): "婷 雪 琳 佳琪 萌",
    ("young", "male"): "子轩 浩然 宇航 俊杰 博文", ("young", "female"): "欣怡 雨桐 梓涵 思琪 佳怡",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
BORN = {"old": (1936, 1958), "mid": (1966, 1985), "adult": (1988, 1998), "young": (2005, 2018)}

# How many of a grid's 24 households get each profile (18 green, 4 yellow, 2 red):
# count, colour, reason, needs (kind, detail, urgency), members (era, gender, tags, notes)
PROFILES = (
    (8, "green", "", (), (("mid", "male", (), ""), ("mid", "female", (), ""),
                          ("young", "female", (), ""))),
    (4, "green", "", (), (("old", "male", ("over65", "chronic"), "高血压，按时服药"),
                          ("old", "female", ("over65",), ""))),
    (4, "green", "", (), (("adult", "male", (), ""),)),
    (2, "green", "", (), (("old", "female", ("over65",), ""), ("mid", "male", (), ""),
                          ("mid", "female", (), ""), ("young", "male", (), ""))),
    (2, "yellow", "独居老人，子女在外地，每周电话联系", (),
     (("old", "male", ("over65", "elderly_alone"), ""),)),
    (1, "yellow", "孕晚期，预产期在12月中旬，需关注产检", (("doctor", "预约社区医院产检", "normal"),),
     (("adult", "female", ("pregnant",), ""), ("adult", "male", (), ""))),
    (1, "yellow", "残疾人，轮椅出行，楼内无电梯", (("repair", "楼道扶手松动", "normal"),),
     (("mid", "male", ("disabled",), "下肢残疾"), ("mid", "female", (), ""))),
    (1, "red", "独居高龄老人，糖尿病，行动不便，降糖药只剩两天", (("medicine", "二甲双胍，送药上门", "urgent"),),
     (("old", "female", ("over65", "elderly_alone", "chronic"), "糖尿病"),)),
    (1, "red", "化疗期间，免疫力低下，需家庭医生上门", (("referral", "转诊家庭医生上门随访", "high"),),
     (("mid", "female", ("chronic", "immunocompromised"), "化疗中"), ("mid", "male", (), ""))),
)


def password(name):
    """The fixed, documented demo password of account ``name``."""
    return f"demo-{name}"


def _stamp(doc, *names):
    doc["stamps"] = {name: [HLC, DEVICE] for name in names if name in doc}
    return doc


def _common(kind, grid, doc_id, by, when):
    return {"_id": doc_id, "type": kind, "schema": 2, "grid": grid,
            "updated_at": when.isoformat(), "updated_by": by, "device": DEVICE}


def _id_number(doc_key, member):
    """A made-up ID number for ``member``: area code 110101, their birth year
    with an invented month, day and sequence (odd for men), a valid check
    digit. Derived from the ids, not drawn from the generator, so the rest of
    the demo is what it was."""
    seed = zlib.crc32(f"{doc_key}/{member['id']}".encode())
    month, day = seed % 12 + 1, seed // 12 % 28 + 1
    sequence = seed // 336 % 499 * 2 + (1 if member["gender"] == "male" else 2)
    first = f"110101{member['birth_year']}{month:02d}{day:02d}{sequence:03d}"
    return first + check_digit(first)


def _household(rng, profile, grid, lane, building, unit, room, worker):
    _count, colour, reason, needs, people = profile
    surname = rng.choice(SURNAMES)
    members = []
    for index, (era, gender, tags, notes) in enumerate(people, start=1):
        name = (surname if gender == "male" or index == 1 or era == "young"
                else rng.choice(SURNAMES)) + rng.choice(NAMES[era, gender].split())
        member = {"id": f"m{index}", "name": name, "birth_year": rng.randint(*BORN[era]),
                  "gender": gender, "tags": list(tags)}
        members.append(dict(member, notes=notes) if notes else member)
    hh = f"{building}-{unit}-{room}"
    members[0]["id_number"] = _id_number(f"{grid}:{hh}", members[0])   # the head's, recorded
    doc = _common("household", grid, f"household:{grid}:{hh}", worker, STAMPED_AT)
    doc.update(building=f"{building}号楼", unit=f"{unit}单元", room=str(room),
               address=f"北京市东城区{STREET[1]}{COMMUNITY[1]} {lane}{building}号楼{unit}单元{room}",
               head=members[0]["name"],
               phone=f"13{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
               members=members, colour=colour)
    if reason:
        doc["colour_reason"] = reason
    return _stamp(doc, "building", "unit", "room", "address", "head", "phone", "members",
                  "colour", "colour_reason"), needs


def _visit(grid, household, needs, worker, at):
    key = str(uuid.uuid5(NAMESPACE, household["_id"]))
    doc = _common("visit", grid, f"visit:{grid}:{key}", worker, at + timedelta(minutes=10))
    red = household["colour"] == "red"
    checks = [{"member": m["id"], "temperature": 36.6, "bp_systolic": 152 if red else 128,
               "bp_diastolic": 96 if red else 82, "medication_on_hand": not red}
              for m in household["members"] if m["tags"]]
    doc.update(household=household["_id"], visited_at=at.isoformat(), worker=worker,
               outcome="met", checks=checks,
               needs=[{"kind": k, "detail": d, "urgency": u} for k, d, u in needs],
               services=["测量体温和血压", "留下网格员联系电话"],
               colour_after=household["colour"], colour_reason=household.get("colour_reason", ""),
               follow_up_on=(at + timedelta(days=1 if household["colour"] == "red" else 7))
               .date().isoformat(), status="submitted")
    elder = next((c for c in checks if red and "over65" in _member(household, c)["tags"]), None)
    if elder is not None:                         # low SpO2: the early warning fires
        elder["spo2"] = 91
        in_force = demo_rules()
        found = rules.evaluate(in_force, doc, household, now=at)["warnings"]
        doc["warnings"] = [{"rule": w["rule"], "member": w["member"], "colour": w["colour"],
                            "referral": w["referral"], "reason": w["reason"]["zh"],
                            "decision": "accepted"} for w in found]
        doc["rules_version"] = in_force["version"]
    return doc


def demo_rules():
    """The demo's ``rules:warning``: the shipped set and ``NO_CONTACT``, one version up."""
    shipped = rules.shipped_rules()
    return {**shipped, "version": shipped["version"] + 1, "rules": shipped["rules"] + [NO_CONTACT],
            "updated_at": STAMPED_AT.isoformat(), "updated_by": ADMIN[0], "device": DEVICE}


def _member(household, check):
    return next(m for m in household["members"] if m["id"] == check["member"])


def _referral(grid, visit, worker, at):
    """The referral an accepted warning made, already accepted by the hospital."""
    warning = next(w for w in visit["warnings"] if w["referral"])
    key = str(uuid.uuid5(NAMESPACE, visit["_id"] + ":referral"))
    doc = _common("request", grid, f"request:{grid}:{key}", worker, at + timedelta(hours=2))
    opened = (at + timedelta(minutes=12)).isoformat()
    doc.update(household=visit["household"], visit=visit["_id"], kind="referral",
               detail=warning["reason"], urgency="urgent", sla="onsite_5m", status="accepted",
               assignee=worker, opened_at=opened, target=warning["referral"],
               target_name="东城区第一人民医院", member=warning["member"], rule=warning["rule"],
               status_times={"referred": opened, "accepted": doc["updated_at"]})
    return _stamp(doc, "kind", "detail", "urgency", "sla", "status", "status_times", "assignee",
                  "target", "target_name", "member", "rule")


def _request(grid, visit, need, worker, at):
    kind, detail, urgency = need
    key = str(uuid.uuid5(NAMESPACE, visit["_id"] + ":request"))
    doc = _common("request", grid, f"request:{grid}:{key}", worker, at + timedelta(minutes=15))
    doc.update(household=visit["household"], visit=visit["_id"], kind=kind, detail=detail,
               urgency=urgency, sla="fix_20m" if urgency == "urgent" else "plan_2d",
               status="assigned", assignee=worker, opened_at=doc["updated_at"],
               status_times={"open": doc["updated_at"], "assigned": doc["updated_at"]})
    if kind == "referral":                        # a referral has its own statuses
        doc.update(status="referred", target="family_doctor",
                   status_times={"referred": doc["updated_at"]})
    return _stamp(doc, "kind", "detail", "urgency", "sla", "status", "status_times", "assignee",
                  "target")


def _notices(workers):
    """The supervisor's notice to the whole community, one document per grid,
    with the read receipts of both workers."""
    key = NOTICE_KEY
    at = YESTERDAY + timedelta(hours=8)
    docs = []
    for grid, _name, _lane in GRIDS:
        notice = _common("notice", grid, f"notice:{grid}:{key}", "zhangwei", at)
        notice.update(title="寒潮来袭：请逐户确认独居老人取暖", priority="important",
                      body="本周气温降至零下10度。走访独居和高龄老人时，请查看暖气、"
                           "燃气和门窗，发现问题立即上报。",
                      audience={"kind": "community", "id": COMMUNITY[0]},
                      published_by="zhangwei", published_by_name="张伟",
                      published_at=at.isoformat(),
                      expires_at=(YESTERDAY + timedelta(days=8)).isoformat())
        read_at = at + timedelta(minutes=40)
        receipt = _common("receipt", grid, f"receipt:{grid}:{uuid.uuid5(NAMESPACE, grid).hex}",
                          workers[grid], read_at)
        receipt.update(notice=notice["_id"], reader=workers[grid], read_at=read_at.isoformat())
        docs += [notice, receipt]
    return docs


def documents():
    """Every demo field document, the same on every run."""
    workers = {grid: name for name, _d, role, held in ACCOUNTS if role == "worker"
               for grid in held}
    docs = [demo_rules()]
    for grid, name, lane in GRIDS:
        worker, rng = workers[grid], random.Random(f"gridvisit-demo-{grid}")
        grid_doc = _common("grid", grid, f"grid:{grid}", "admin", STAMPED_AT)
        grid_doc.update(name=name, community=COMMUNITY[0], community_name=COMMUNITY[1],
                        street=STREET[0], street_name=STREET[1])
        docs.append(grid_doc)
        at, asked = YESTERDAY + timedelta(hours=9), False
        deck = [profile for profile in PROFILES for _ in range(profile[0])]
        rng.shuffle(deck)
        for building in (1, 2, 3):
            for unit in (1, 2):
                for room in (101, 102, 201, 202):
                    household, needs = _household(rng, deck.pop(), grid, lane, building, unit,
                                                  room, worker)
                    docs.append(household)
                    if household["colour"] == "green":
                        continue
                    # The second red household was last seen three days ago.
                    when = at - BEHIND if household["colour"] == "red" and asked else at
                    visit = _visit(grid, household, needs, worker, when)
                    docs.append(visit)
                    if household["colour"] == "red" and not asked:
                        docs.append(_request(grid, visit, needs[0], worker, when))
                        asked = True
                    if visit.get("warnings"):
                        docs.append(_referral(grid, visit, worker, when))
                    at += timedelta(minutes=25)
    return docs + _notices(workers) + demo_campaign.documents(
        COMMUNITY[0], STAMPED_AT, "zhangwei", workers["g1"], DEVICE)


@dataclass
class Seeded:
    """What a seeding run did."""

    accounts: list = field(default_factory=list)   # [(name, made now?)] of demo accounts
    written: int = 0                                # documents written
    skipped: int = 0                                # documents that existed


def _accounts_to_make(accounts):
    """``[(name, display, role, held)]``, the admin too when there is none.

    :raises AccountError: when a demo name is taken by an account of another role.
    """
    wanted = list(ACCOUNTS)
    if not any(user.role == "admin" for user in accounts.list()):
        wanted.append((*ADMIN, "admin", ()))
    for name, _display, role, _held in wanted:
        user = accounts.by_name(name)
        if user is not None and user.role != role:
            raise AccountError(f"name: 演示需要 {name!r} 为 {role}，但该账户已是 {user.role} / "
                               f"the demo needs {name!r} as a {role}, "
                               f"but it exists as a {user.role}")
    return wanted


def seed(app):
    """Seed the demo community into ``app``'s tables and field database.

    :raises AccountError: when a demo account name is taken by another role.
    :raises RuntimeError: when the field database refuses a document.
    """
    accounts = services(app).accounts
    directory = services(app).directory
    store = services(app).store
    result = Seeded()
    for name, display, role, held in _accounts_to_make(accounts):
        made = accounts.by_name(name) is None
        if made:
            accounts.create(name, password(name), role, display)
        result.accounts.append((name, made))
        if name == ACCOUNTS[0][0]:              # the hierarchy first, then assignments
            directory.put_street(*STREET)
            directory.put_community(*COMMUNITY, STREET[0])
            for grid, grid_name, _lane in GRIDS:
                directory.put_grid(grid, grid_name, COMMUNITY[0])
        for item in held:
            directory.assign(name, **{"grid" if role == "worker" else "community": item})
    try:
        db = store.get(app.config["FIELD_DB"])
    except NotFound:
        db = store.create(app.config["FIELD_DB"])
    docs = documents()
    rows = db.all_docs(keys=[doc["_id"] for doc in docs])["rows"]
    present = {row["key"] for row in rows if "error" not in row}
    missing = [doc for doc in docs if doc["_id"] not in present]
    for doc in missing:
        validate(doc)                   # the demo must model the contract it shows
    for row in db.bulk_docs(missing):
        if "error" in row:
            raise RuntimeError(f"{row['id']}: {row['error']} ({row['reason']})")
    result.written, result.skipped = len(missing), len(present)
    return result
