"""The figures of a campaign's results (专项摸排结果): which households it
targets, progress by grid and by worker, the answers as a table (one column
per question of its form versions, a repeat's questions once per entry) and
the counts of each select question's choices. Pure functions over the
campaign, its form versions, its answers and the console index's household
rows; the page and the exports are :mod:`.campaign_results`'s.
"""

from collections import Counter

SELECTS = ("select_one", "select_multiple")
SKIPPED = ("group", "repeat", "note")


def place_of(campaign_id):
    """``(kind, id)`` of a campaign's place: ``("community", c)``, ``("street", s)`` or ``("all", None)``."""
    place = campaign_id.split(":", 1)[1].rsplit(":", 1)[0]
    kind, _, value = place.partition(":")
    return (kind, value) if value else ("all", None)


def targeted(campaign, household, grid_doc):
    """Whether ``campaign`` asks about the index row ``household`` (in ``grid_doc``'s grid)."""
    kind, value = place_of(campaign["_id"])
    if kind != "all" and (grid_doc or {}).get(kind) != value:
        return False
    target = campaign.get("targets") or {"kind": "all"}
    wanted = set(target.get("values") or ())
    if target["kind"] == "tags":
        return bool(wanted & set((household.get("tags") or "").split(",")))
    if target["kind"] == "colours":
        return household.get("colour") in wanted
    if target["kind"] == "grids":
        return household["grid"] in wanted
    if target["kind"] == "buildings":
        return f"{household['grid']}/{household.get('building')}" in wanted
    return True


def progress(campaign, households, grids, answers):
    """``(by grid, by worker)``: ``[{grid, name, total, done}]`` over targeted
    households, ``[{worker, answers, households, contacts}]``."""
    answered = {a.get("household") for a in answers if a.get("household")}
    by_grid = {}
    for hh in households:
        grid = grids.get(hh["grid"])
        if grid is None or not targeted(campaign, hh, grid):
            continue
        row = by_grid.setdefault(hh["grid"], {"grid": hh["grid"], "name": grid.get("name") or hh["grid"],
                                              "total": 0, "done": 0})
        row["total"] += 1
        row["done"] += hh["id"] in answered
    workers = {}
    for a in answers:
        row = workers.setdefault(a["worker"], {"worker": a["worker"], "answers": 0, "households": set(),
                                               "contacts": 0})
        row["answers"] += 1
        if a.get("household"):
            row["households"].add(a["household"])
        else:
            row["contacts"] += 1
    people = [dict(w, households=len(w["households"])) for w in workers.values()]
    return (sorted(by_grid.values(), key=lambda r: r["grid"]),
            sorted(people, key=lambda r: (-r["answers"], r["worker"])))


def _label(question, lang):
    words = question.get("label") or {}
    return words.get(lang) or words.get("zh") or words.get("en") or question["name"]


def questions(forms):
    """Every answerable question of the form versions, first seen first:
    ``[(name, question, repeat name or None)]``."""
    seen, out = set(), []
    for form in sorted(forms, key=lambda f: f.get("form_version", 0)):
        kinds = {q["path"]: q for q in form.get("questions") or []}
        for q in form.get("questions") or []:
            if q["type"] in SKIPPED or q["name"] in seen:
                continue
            repeat = kinds.get(q.get("parent") or "")
            while repeat is not None and repeat["type"] != "repeat":
                repeat = kinds.get(repeat.get("parent") or "")
            seen.add(q["name"])
            out.append((q["name"], q, repeat["name"] if repeat else None))
    return out


def _choice_words(forms, lang):
    words = {}
    for form in forms:
        for q in form.get("questions") or []:
            for item in (form.get("choices") or {}).get(q.get("list"), []):
                words[(q["name"], item["name"])] = _label(item, lang)
    return words


def _shown(question, value, words):
    if value is None or value == "":
        return ""
    if question["type"] == "select_multiple" and isinstance(value, list):
        return "、".join(words.get((question["name"], v), v) for v in value)
    if question["type"] == "select_one":
        return words.get((question["name"], value), value)
    return value


def table(forms, answers, lang):
    """``(headers, rows)``: one column per question, a repeat's questions once
    per entry (``成员[2] 姓名``), one row per answer (its document with ``cells``)."""
    words = _choice_words(forms, lang)
    asked = questions(forms)
    entries = Counter()
    for a in answers:
        for name, _q, repeat in asked:
            if repeat:
                values = a.get("values", {}).get(repeat)
                entries[repeat] = max(entries[repeat], len(values) if isinstance(values, list) else 0)
    repeat_labels = {q["name"]: _label(q, lang) for f in forms for q in f.get("questions") or []
                     if q["type"] == "repeat"}
    columns = []
    for name, q, repeat in asked:
        if repeat is None:
            columns.append((_label(q, lang), q, None, None))
        else:
            for i in range(entries[repeat]):
                columns.append((f"{repeat_labels.get(repeat, repeat)}[{i + 1}] {_label(q, lang)}",
                                q, repeat, i))
    rows = []
    for a in answers:
        values = a.get("values") or {}
        cells = []
        for _head, q, repeat, i in columns:
            if repeat is None:
                cells.append(_shown(q, values.get(q["name"]), words))
                continue
            block = values.get(repeat) if isinstance(values.get(repeat), list) else []
            entry = block[i] if i < len(block) and isinstance(block[i], dict) else {}
            cells.append(_shown(q, entry.get(q["name"]), words))
        rows.append(dict(a, cells=cells))
    return [c[0] for c in columns], rows


def select_counts(forms, answers, lang):
    """``[{question, label, total, choices: [{name, label, n, share}]}]`` for
    every select question, answers inside repeats counted per entry."""
    words = _choice_words(forms, lang)
    out = []
    for name, q, repeat in questions(forms):
        if q["type"] not in SELECTS:
            continue
        counts = Counter()
        given = 0
        for a in answers:
            values = a.get("values") or {}
            blocks = values.get(repeat) if repeat else [values]
            for block in blocks if isinstance(blocks, list) else []:
                value = block.get(name) if isinstance(block, dict) else None
                chosen = value if isinstance(value, list) else [value] if value else []
                given += bool(chosen)
                counts.update(chosen)
        choices = [item["name"] for f in forms for item in (f.get("choices") or {}).get(q.get("list"), [])]
        order = list(dict.fromkeys(choices + sorted(counts)))
        top = max(counts.values(), default=0) or 1
        out.append({"question": name, "label": _label(q, lang), "total": given,
                    "choices": [{"name": c, "label": words.get((name, c), c), "n": counts[c],
                                 "share": round(100 * counts[c] / top)} for c in order]})
    return out
