"""Merging conflicting leaves of a household or request into one body.

Each edit stamps the fields it changed, ``stamps = {key: [hlc, device]}``
(see ``stamps.py``): ``"phone"``, ``"members.{id}.{field}"``,
``"members.{id}.tags.{tag}"``. ``merge(leaves)`` takes the leaves as
``[(rev, body)]`` and decides field by field:

- ``newest_stamp``: the value of the leaf holding the field's newest stamp;
- ``winner``: no leaf stamped the field: CouchDB's winning leaf's value;
- ``tag_set``: a tag is present iff the leaf with its newest stamp has it;
  unstamped tags are kept if any leaf has them (adding wins);
- ``removed``: a member is gone when the leaf with the newest
  ``members.{id}`` stamp lacks it, unless another leaf edited the member
  after that (``edit_beats_removal``, flagged);
- ``most_severe``: colour changed concurrently (no leaf's edit replaced the
  other's colour, told by ``colour.base`` stamps) resolves to red > yellow >
  green, flagged, with a merge stamp so the choice sticks;
- ``lifecycle``: a request's status is the furthest reached along its
  kind's order (a referral's ``referred < accepted < seen < closed``,
  other requests' ``open < ... < closed``); every status time is kept (the
  earliest for each status).

The result does not depend on the order of the leaves, and merging a
merged body with any of its inputs gives it back unchanged.
"""

import copy
import json

from rules import idnumber, ids
from sync import revtree
from rules.hlc import format_hlc, parse_hlc
from rules.vocabulary import SEVERITY, lifecycle

META = {"_id", "_rev", "_revisions", "_deleted", "_conflicts", "_attachments", "stamps",
        "type", "schema", "grid", "updated_at", "updated_by", "device", "merge"}
MISSING = object()
MERGE_DEVICE = "merge"


def next_hlc(hlc):
    """The hlc right after ``hlc``: what a merge stamps the values it chose."""
    ms, counter = parse_hlc(hlc)
    return format_hlc(ms, counter + 1)


def json_key(value):
    """A hashable form of a JSON value."""
    return json.dumps(value, sort_keys=True)


def _stamp(body, key):
    value = (body.get("stamps") or {}).get(key)
    return tuple(value) if isinstance(value, list) and len(value) == 2 else None


def _newest(leaves, key):
    """``(stamp, rev, body)`` of the leaf with the newest stamp for ``key``."""
    found = [(_stamp(body, key), revtree.sort_key(rev), rev, body) for rev, body in leaves]
    found = [item for item in found if item[0] is not None]
    if not found:
        return None
    stamp, _key, rev, body = max(found, key=lambda item: (item[0], item[1]))
    return stamp, rev, body


def _top_level(ranked, result, decisions):
    fields = set()
    for _rev, body in ranked:
        fields.update(k for k in body if k not in META and k != "members")
        fields.update(k for k in (body.get("stamps") or {}) if "." not in k and k != "members")
    for field in sorted(fields):
        newest = _newest(ranked, field)
        if newest is None:
            rev, body = ranked[0]
            rule = "winner"
        else:
            _stamp_value, rev, body = newest
            rule = "newest_stamp"
        value = body.get(field, MISSING)
        if value is MISSING:
            result.pop(field, None)
        else:
            result[field] = copy.deepcopy(value)
        decisions.append(dict(field=field, rule=rule, rev=rev))


def _members_of(body):
    members = body.get("members")
    if not isinstance(members, list):
        return {}
    return {m["id"]: m for m in members if isinstance(m, dict) and isinstance(m.get("id"), str)}


def _merge_members(ranked, decisions):
    by_leaf = [(rev, body, _members_of(body)) for rev, body in ranked]
    order = []
    for _rev, _body, members in by_leaf:
        order.extend(mid for mid in members if mid not in order)
    merged, flagged = [], False
    for mid in order:
        holders = [(rev, body, members[mid]) for rev, body, members in by_leaf if mid in members]
        presence = _newest(ranked, f"members.{mid}")
        if presence is not None and mid not in _members_of(presence[2]):
            prefix = f"members.{mid}."
            edited_later = any(
                _stamp(body, key) > presence[0]
                for _rev, body, _m in holders for key in (body.get("stamps") or {})
                if key.startswith(prefix) and _stamp(body, key) is not None)
            if not edited_later:                 # removed, and nobody edited it since
                decisions.append(dict(field=f"members.{mid}", rule="removed", rev=presence[1]))
                continue
            flagged = True                       # a removal raced an edit: keep the edit
            decisions.append(dict(field=f"members.{mid}", rule="edit_beats_removal",
                                  rev=holders[0][0]))
        member = {"id": mid}
        fields = sorted({k for _r, _b, m in holders for k in m if k not in ("id", "tags")})
        for field in fields:
            newest = _newest([(r, b) for r, b, _m in holders], f"members.{mid}.{field}")
            rev, _body, source = (next(h for h in holders if h[0] == newest[1])
                                  if newest else holders[0])
            if field in source:
                member[field] = copy.deepcopy(source[field])
            decisions.append(dict(field=f"members.{mid}.{field}",
                                      rule="newest_stamp" if newest else "winner", rev=rev))
        tags = _merge_tags(mid, holders, decisions)
        if tags is not None:
            member["tags"] = tags
        merged.append(member)
    return merged, flagged


def _merge_tags(mid, holders, decisions):
    if not any(isinstance(m.get("tags"), list) for _r, _b, m in holders):
        return None
    names = []
    for _r, _b, m in holders:
        names.extend(t for t in (m.get("tags") or []) if t not in names)
    for _r, body, _m in holders:
        prefix = f"members.{mid}.tags."
        names.extend(k[len(prefix):] for k in (body.get("stamps") or {})
                     if k.startswith(prefix) and k[len(prefix):] not in names)
    kept = []
    for tag in names:
        newest = _newest([(r, b) for r, b, _m in holders], f"members.{mid}.tags.{tag}")
        if newest is None:
            present = any(tag in (m.get("tags") or []) for _r, _b, m in holders)
        else:
            source = next(m for r, _b, m in holders if r == newest[1])
            present = tag in (source.get("tags") or [])
        if present:
            kept.append(tag)
    decisions.append(dict(field=f"members.{mid}.tags", rule="tag_set", rev=None))
    return sorted(kept)


def _saw(later, earlier):
    """Whether ``later``'s colour edit replaced ``earlier``'s colour value."""
    replaced = _stamp(later, "colour.base")
    return replaced is not None and replaced == _stamp(earlier, "colour")


def _colour(leaves, result, decisions, stamps):
    """Most severe colour when leaves changed it concurrently; True if so.

    A leaf's colour is superseded when another leaf's edit replaced it
    (its ``colour.base`` is that stamp). If the colours no edit replaced
    still differ, nobody saw the others' change: the most severe wins, with
    a merge stamp newer than every leaf's, so later merges keep it.
    """
    coloured = [(rev, body) for rev, body in leaves if "colour" in body]
    frontier = [(rev, body) for rev, body in coloured
                if not any(_saw(other, body) for _r, other in coloured if other is not body)]
    if len({body["colour"] for _rev, body in frontier}) < 2:
        return False
    rev, body = max(frontier, key=lambda item: (SEVERITY.get(item[1]["colour"], -1),
                                                revtree.sort_key(item[0])))
    result["colour"] = body["colour"]
    if "colour_reason" in body:
        result["colour_reason"] = body["colour_reason"]
    else:
        result.pop("colour_reason", None)
    newest = max((_stamp(b, "colour") for _r, b in coloured if _stamp(b, "colour")),
                 default=None)
    if newest is not None and _stamp(body, "colour") != newest:
        # an older colour won on severity: stamp it newer than all it beat
        stamps["colour.base"] = list(newest)
        stamps["colour"] = stamps["colour_reason"] = [next_hlc(newest[0]), MERGE_DEVICE]
    elif _stamp(body, "colour_reason") is not None:
        stamps["colour_reason"] = list(_stamp(body, "colour_reason"))
    for decision in decisions:
        if decision["field"] in ("colour", "colour_reason"):
            decision.update(rule="most_severe", rev=rev)
    return True


def _lifecycle(leaves, result, decisions, stamps):
    order = lifecycle(result.get("kind"))
    statuses = [body.get("status") for _rev, body in leaves if body.get("status") in order]
    if statuses:
        result["status"] = max(statuses, key=order.index)
    if any(len({json_key(body.get(k)) for _r, body in leaves}) > 1
           for k in ("status", "status_times")):
        # the lifecycle, not the newest stamp, decided: stamp it as the merge
        newest = max((_stamp(b, k) for _r, b in leaves for k in ("status", "status_times")
                      if _stamp(b, k)), default=None)
        if newest is not None:
            stamps["status"] = stamps["status_times"] = [next_hlc(newest[0]), MERGE_DEVICE]
    times = {}
    for _rev, body in leaves:
        for status, when in (body.get("status_times") or {}).items():
            if status not in times or str(when) < str(times[status]):
                times[status] = when
    if times:
        result["status_times"] = dict(sorted(times.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else 99, kv[0])))
    for decision in decisions:
        if decision["field"] in ("status", "status_times"):
            decision.update(rule="lifecycle", rev=None)


def merge(leaves):
    """Merge ``[(rev, body)]`` (non-deleted leaves) into ``(body, decisions, flagged)``.

    The result depends on the leaves alone, never on which server merges
    or what else it has seen, so every server makes the same revision.
    """
    ranked = sorted(leaves, key=lambda item: revtree.sort_key(item[0]), reverse=True)
    result = {k: copy.deepcopy(v) for k, v in ranked[0][1].items()
              if k not in ("stamps", "merge")}
    decisions = []
    _top_level(ranked, result, decisions)
    flagged = False
    if any("members" in body for _rev, body in ranked):
        result["members"], flagged = _merge_members(ranked, decisions)
    stamps = {}
    for _rev, body in ranked:
        for key, value in (body.get("stamps") or {}).items():
            if isinstance(value, list) and (key not in stamps or tuple(value) > tuple(stamps[key])):
                stamps[key] = list(value)
    if any("colour" in body for _rev, body in ranked):
        flagged = _colour(ranked, result, decisions, stamps) or flagged
    if result.get("type") == "request":
        _lifecycle(ranked, result, decisions, stamps)
    if stamps:
        result["stamps"] = dict(sorted(stamps.items()))
    newest = max(ranked, key=lambda item: (str(item[1].get("updated_at", "")),
                                           revtree.sort_key(item[0])))[1]
    for key in ("updated_at", "updated_by", "device"):
        if key in newest:
            result[key] = newest[key]
    if result.get("type") == "household":
        record = merge_record(ranked, result, decisions)
        if record is not None:
            result["merge"] = record
    return result, decisions, flagged


MERGED_KINDS = ("household", "request")


def _fork(one, other):
    """The newest stamp two leaves share: about when they parted."""
    ones, others = one.get("stamps") or {}, other.get("stamps") or {}
    shared = [tuple(v) for k, v in ones.items()
              if isinstance(v, list) and len(v) == 2 and others.get(k) == v]
    return max(shared, default=None)


def _author(body, field):
    stamp = _stamp(body, field)
    author = {"user": body.get("updated_by"), "device": stamp[1] if stamp else body.get("device")}
    return {k: v for k, v in author.items() if isinstance(v, str) and v}


MEMBER_FIELDS = ("name", "birth_year", "gender", "notes", "status", "id_number")
# Fields the record shows masked: the record is on the household page of
# every tablet and console, where these are shown only on a deliberate tap.
MASKED = {"id_number": idnumber.mask}
RECORDED = 20


def _value(body, field):
    """``field``'s value in ``body`` (a top-level name or ``members.{id}.{name}``),
    MISSING when it has none."""
    if not field.startswith("members."):
        return body.get(field, MISSING)
    mid, name = field[len("members."):].rsplit(".", 1)
    return _members_of(body).get(mid, {}).get(name, MISSING)


def _shown(value, field):
    """A recorded value: text as it is (an ID number masked), a number (a birth
    year) as text."""
    if value is None:
        return value
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    masked = MASKED.get(field.rsplit(".", 1)[-1])
    return masked(value) if masked else value


def _recorded(decision, bodies):
    """Whether ``decision`` is of a field the record tells: a top-level one,
    or one of a member's own fields (not their tags, nor their presence)."""
    field = decision["field"]
    if decision.get("rev") not in bodies:
        return False
    if "." not in field:
        return True
    parts = field.split(".")
    return parts[0] == "members" and parts[-1] in MEMBER_FIELDS and len(parts) >= 3


def _entries(ranked, result, decisions):
    """A merged field per decision whose value replaced what another leaf wrote
    after the leaves parted (its stamp is newer than their newest shared one);
    household fields first, then members', at most ``RECORDED``."""
    bodies = dict(ranked)
    forks = {(r1, r2): _fork(b1, b2) for r1, b1 in ranked for r2, b2 in ranked if r1 != r2}
    entries = []
    for decision in decisions:
        if not _recorded(decision, bodies):
            continue
        field, rev = decision["field"], decision["rev"]
        holder, value = bodies[rev], _value(result, field)
        lost = []
        for other_rev, other in ranked:
            theirs = _value(other, field)
            if other_rev == rev or json_key(None if theirs is MISSING else theirs) == \
                    json_key(None if value is MISSING else value):
                continue
            stamp, fork = _stamp(other, field), forks[(rev, other_rev)]
            if stamp is None or (fork is not None and stamp <= fork):
                continue                         # not written since the leaves parted
            lost.append(dict(_author(other, field),
                             **({"value": _shown(theirs, field)} if theirs is not MISSING else {})))
        if lost:
            entry = dict(field=field, rule=decision["rule"], **_author(holder, field))
            if value is not MISSING and value is not None:
                entry["value"] = _shown(value, field)
            entry["lost"] = sorted(lost, key=json_key)
            entries.append(entry)
    entries.sort(key=lambda e: e["field"].startswith("members."))
    return entries[:RECORDED]


def _covered(entries, record):
    """Whether ``record`` already tells every loss in ``entries``."""
    told = {(e.get("field"), json_key(e.get("value")), json_key(lost.get("value")))
            for e in (record or {}).get("fields") or [] for lost in e.get("lost") or []}
    return all((e["field"], json_key(e.get("value")), json_key(lost.get("value"))) in told
               for e in entries for lost in e["lost"])


def merge_record(ranked, result, decisions):
    """The household's ``merge`` record: the latest merge's replaced values.

    ``{"at": hlc, "fields": [{field, rule, value, user, device, lost: [{value,
    user, device}]}]}``. A merge that replaced nothing new keeps the newest
    record a leaf carries, so merging a merged body with one of its inputs
    changes nothing and the tablet still sees what the first merge did.
    """
    carried = max((body["merge"] for _rev, body in ranked if isinstance(body.get("merge"), dict)),
                  key=json_key, default=None)
    entries = _entries(ranked, result, decisions)
    if not entries or _covered(entries, carried):
        return copy.deepcopy(carried) if carried is not None else None
    newest = max((tuple(v) for _rev, body in ranked for v in (body.get("stamps") or {}).values()
                  if isinstance(v, list) and len(v) == 2), default=None)
    record = {"fields": entries}
    if newest is not None:
        record["at"] = newest[0]
    return record


def _version(body):
    version = body.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else 0


def newest_rule_set(leaves):
    """Rule sets (``rules:*``) are never mixed rule by rule: the leaf with the
    highest ``version`` wins whole (then the newest edit, then CouchDB's
    order). Two different edits that claim one version are flagged."""
    ranked = sorted(leaves, key=lambda item: (_version(item[1]),
                                              str(item[1].get("updated_at", "")),
                                              revtree.sort_key(item[0])), reverse=True)
    rev, body = ranked[0]
    top = [b for _rev, b in ranked if _version(b) == _version(body)]
    flagged = any(b.get("rules") != body.get("rules") for b in top)
    return (copy.deepcopy(body), [{"field": "rules", "rule": "highest_version", "rev": rev}],
            flagged)


def resolve_field_doc(doc_id, leaves):
    """The store's resolver: merge households and requests, settle rule sets
    by version, leave the rest.

    Visits and reviews are immutable, separate documents by design; a
    conflict among them is left to CouchDB's winner rule.
    """
    kind = ids.doc_type(doc_id)
    if kind == "rules":
        return newest_rule_set(leaves)
    if kind not in MERGED_KINDS:
        return None
    return merge(leaves)
