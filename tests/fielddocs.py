"""Valid field documents (docs/documents.md) for tests and benchmarks."""

import uuid
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))


def stamp_time(minutes_ago=5):
    """An ISO time a few minutes in the past, China Standard Time."""
    return (datetime.now(CST) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


def _common(kind, doc_id, grid, by):
    return {"_id": doc_id, "type": kind, "schema": 2, "grid": grid,
            "updated_at": stamp_time(), "updated_by": by}


def grid_doc(grid, name=None):
    """``grid:{grid}`` reference data."""
    return dict(_common("grid", f"grid:{grid}", grid, "admin"), name=name or f"{grid} 网格")


def household(grid, hh, colour="green", by="seed", **extra):
    """``household:{grid}:{hh}`` with one elderly member."""
    doc = dict(_common("household", f"household:{grid}:{hh}", grid, by),
               building="3号楼", unit="2单元", room=str(hh)[-8:] or "101", colour=colour,
               head="张桂兰", phone="138 0013 8000",
               members=[{"id": "m1", "name": "张桂兰", "birth_year": 1948,
                         "tags": ["over65", "elderly_alone"]}])
    if colour != "green":
        doc["colour_reason"] = "独居老人，需要关注"
    doc.update(extra)
    return doc


def visit(grid, hh, by="worker", status="submitted", vid=None, **extra):
    """``visit:{grid}:{uuid}`` of household ``hh``: met, green."""
    vid = vid or uuid.uuid4().hex
    doc = dict(_common("visit", f"visit:{grid}:{vid}", grid, by),
               household=f"household:{grid}:{hh}", visited_at=stamp_time(30), worker=by,
               outcome="met", checks=[{"member": "m1", "temperature": 36.5,
                                       "bp_systolic": 130, "bp_diastolic": 85}],
               needs=[], services=["测量血压"], colour_after="green", status=status)
    doc.update(extra)
    return doc


def request_doc(grid, hh, by="worker", **extra):
    """``request:{grid}:{uuid}``: an open need."""
    doc = dict(_common("request", f"request:{grid}:{uuid.uuid4().hex}", grid, by),
               household=f"household:{grid}:{hh}", kind="medicine", detail="降压药快吃完了",
               urgency="high", sla="fix_20m", status="open", opened_at=stamp_time(10))
    doc.update(extra)
    return doc


def notice(grid, nid=None, by="supervisor", **extra):
    """``notice:{grid}:{nid}``: an urgent notice to one grid."""
    nid = nid or uuid.uuid4().hex
    doc = dict(_common("notice", f"notice:{grid}:{nid}", grid, by), title="今晚降温",
               body="请于 18 点前走访独居老人。", priority="urgent",
               audience={"kind": "grid", "id": grid}, published_by=by,
               published_at=stamp_time(20))
    doc.update(extra)
    return doc


def receipt(notice_id, reader="worker", **extra):
    """``receipt:{grid}:{uuid}``: ``reader`` has read ``notice_id``."""
    grid = notice_id.split(":")[1]
    doc = dict(_common("receipt", f"receipt:{grid}:{uuid.uuid4().hex}", grid, reader),
               notice=notice_id, reader=reader, read_at=stamp_time(1))
    doc.update(extra)
    return doc


def review(visit_id, state="approved", by="supervisor"):
    """``review:{visit id}`` by a supervisor."""
    grid = visit_id.split(":")[1]
    doc = dict(_common("review", f"review:{visit_id}", grid, by), visit=visit_id,
               state=state, reviewer=by, reviewed_at=stamp_time(1))
    if state in ("needs_fix", "rejected"):
        doc["comment"] = "请补充血压记录"
    return doc
