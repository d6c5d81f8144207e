"""Per-field stamps of mutable documents: which keys an edit changed, and when.

``stamps`` maps a key to ``[hlc, device]``. Keys are top-level field names,
``members.{id}`` (a member added or removed), ``members.{id}.{field}`` and
``members.{id}.tags.{tag}`` (a tag added or removed), and ``colour.base``: the
colour stamp an edit of the colour replaced, so a merge can tell a later
change from a concurrent one without the common ancestor. The JavaScript twin is
``fieldapp/js/rules/stamps.js``; see docs/stamps.md.
"""

import copy

from rules.hlc import StampError, check_stamp, compare, newer

__all__ = ["UNSTAMPED", "changed_keys", "json_equal", "newer", "compare",
           "stamp_edit", "stamp_of", "StampError"]

# Top-level fields no edit stamps: identity and bookkeeping. `members` is
# stamped per member instead; `_`-prefixed fields are CouchDB's.
UNSTAMPED = frozenset({"stamps", "type", "schema", "grid", "updated_at", "merge",
                       "updated_by", "device", "ext", "members"})
MEMBER_UNSTAMPED = frozenset({"id", "tags"})
# Fields whose merge must tell a later change from a concurrent one: an edit
# of them also records, as "{field}.base", the stamp of the value it replaced.
SAW_FIELDS = ("colour",)


def json_equal(a, b):
    """Deep JSON equality: key order ignored, 1 == 1.0, true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a == b


def _changed(old, new, names):
    """Names whose values differ between dicts ``old`` and ``new`` (absent == null)."""
    return [name for name in names
            if not json_equal(old.get(name), new.get(name))]


def _members(doc):
    members = doc.get("members")
    if members is None:
        return {}
    if not isinstance(members, list):
        raise StampError(f"members must be a list, not {type(members).__name__}")
    by_id = {}
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("id"), str):
            raise StampError(f"malformed member {member!r}: expected an object with a string id")
        if member["id"] in by_id:
            raise StampError(f"duplicate member id {member['id']!r}")
        by_id[member["id"]] = member
    return by_id


def _tags(member):
    tags = member.get("tags")
    if tags is None:
        return set()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise StampError(f"tags of member {member['id']!r} must be a list of strings")
    return set(tags)


def _member_keys(mid, old, new):
    """Changed keys of one member; ``old`` or ``new`` is None when it is absent."""
    keys = [] if (old is None) == (new is None) else [f"members.{mid}"]
    old, new = old or {"id": mid}, new or {"id": mid}
    names = sorted((old.keys() | new.keys()) - MEMBER_UNSTAMPED)
    keys += [f"members.{mid}.{name}" for name in _changed(old, new, names)]
    keys += [f"members.{mid}.tags.{tag}" for tag in sorted(_tags(old) ^ _tags(new))]
    return keys


def changed_keys(old_doc, new_doc):
    """Sorted stamp keys whose values differ between ``old_doc`` (or None) and ``new_doc``."""
    old, new = old_doc or {}, new_doc
    names = sorted(k for k in old.keys() | new.keys()
                   if not k.startswith("_") and k not in UNSTAMPED)
    keys = _changed(old, new, names)
    old_members, new_members = _members(old), _members(new)
    for mid in old_members.keys() | new_members.keys():
        keys += _member_keys(mid, old_members.get(mid), new_members.get(mid))
    return sorted(keys)


def stamp_of(doc, key):
    """The ``[hlc, device]`` stamp of ``key`` in ``doc``, or None if it has none."""
    stamps = (doc or {}).get("stamps")
    if stamps is None:
        return None
    if not isinstance(stamps, dict):
        raise StampError(f"stamps must be an object, not {type(stamps).__name__}")
    stamp = stamps.get(key)
    return None if stamp is None else check_stamp(stamp)


def _latest_hlc(stamps):
    hlcs = [check_stamp(stamp)[0] for stamp in stamps.values()]
    return max(hlcs) if hlcs else None


def stamp_edit(old_doc, new_doc, clock):
    """A copy of ``new_doc`` whose ``stamps`` cover every key changed since ``old_doc``."""
    result = copy.deepcopy(new_doc)
    base = (old_doc or {}).get("stamps")
    if base is not None and not isinstance(base, dict):
        raise StampError(f"stamps must be an object, not {type(base).__name__}")
    stamps = copy.deepcopy(base or {})
    keys = changed_keys(old_doc, new_doc)
    if keys:
        # One clock step for the whole edit, later than every stamp the editor saw.
        latest = _latest_hlc(stamps)
        hlc = clock.receive(latest) if latest else clock.tick()
        for key in keys:
            stamps[key] = [hlc, clock.device]
        for field in SAW_FIELDS:
            if field in keys:
                replaced = (base or {}).get(field)
                if replaced is None:
                    stamps.pop(f"{field}.base", None)
                else:
                    stamps[f"{field}.base"] = list(replaced)
    if stamps or base is not None or "stamps" in new_doc:
        result["stamps"] = dict(sorted(stamps.items()))
    return result

