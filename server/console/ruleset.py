"""The early-warning rule set (预警规则), for admins: every rule in words, and
the set edited as JSON.

The rule set is the ``rules:warning`` document of the field database,
replicated to every tablet (language in :mod:`server.rules`). Saving
checks it against the rules schema first — each error names the rule and
the field — then writes it with its version raised by one; a save based
on an older version than the current one is refused, so two admins never
overwrite each other unseen. Before the document exists, the rule set
shipped in ``rules/data/rules.json`` is shown. A test of a campaign answer
is worded with the campaign's name and its current form's question and
choice labels, read once per page.
"""

import json
import re
from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from sync.errors import Conflict, Forbidden, NotFound

from rules import ids
from rules.warning_rules import ANSWER, QUESTION, RULES_ID, RuleError, campaigns_read, evaluate
from rules.warning_rules import current_rules as rules_in_force
from rules.schemas import ValidationFailed, validate
from .common import audit, field_db, now_iso
from .forms import RulesForm
from . import writes
from .i18n import label, lang, t
from .times import epoch
from .writes import device, save_rules

bp = Blueprint("ruleset", __name__)
RULE_PATH = re.compile(r"rules\[(\d+)\]\.?(.*)")
SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}
UNITS = {"temperature": " °C", "spo2": " %", "bp_systolic": " mmHg", "bp_diastolic": " mmHg",
         "hours_since_visit": " h", "age": ""}


def current_rules():
    """The rule set in force (see :func:`server.rules.current_rules`)."""
    return rules_in_force(field_db())


def _value(operand, value):
    """A test's value in words: tags, colours and antigen results labelled."""
    if isinstance(value, list):
        return "、".join(_value(operand, v) for v in value)
    for group in ("tag", "colour", "antigen", "symptom"):
        word = label(group, value) if isinstance(value, str) else value
        if word != value:
            return word
    return f"{value}{UNITS.get(operand, '')}"


def _words(pair, fallback):
    pair = pair or {}
    return pair.get(lang()) or pair.get("zh") or pair.get("en") or fallback


def campaign_words(rules):
    """What the answer tests of ``rules`` read, in words: ``{campaign id: (name,
    {question name: label}, {question name: {choice: label}})}`` from each
    campaign's current form; a campaign the user cannot see is left out."""
    found = {}
    for campaign_id in sorted(campaigns_read({"rules": rules})):
        if ids.doc_type(campaign_id) != "campaign":
            continue
        try:
            campaign = writes.read(campaign_id)
            form = writes.read(campaign["form"]) if campaign.get("form") else {}
        except NotFound:
            continue
        questions = [q for q in form.get("questions") or [] if isinstance(q, dict)]
        choices = form.get("choices") or {}
        found[campaign_id] = (
            campaign.get("name") or campaign_id,
            {q.get("name"): _words(q.get("label"), q.get("name")) for q in questions},
            {q.get("name"): {c.get("name"): _words(c.get("label"), c.get("name"))
                             for c in choices.get(q.get("list")) or []}
             for q in questions if q.get("list")})
    return found


def _answer_test(cond, words):
    """An answer test's subject and its value in words."""
    question = str(cond.get(QUESTION))
    name = question.rsplit("/", 1)[-1]
    campaign, labels, choices = (words or {}).get(cond[ANSWER], (cond[ANSWER], {}, {}))
    subject = t("operand.answer", campaign=campaign, question=labels.get(name, question))
    value = cond.get("value")
    named = choices.get(name, {})
    if isinstance(value, list):
        return subject, "、".join(str(named.get(v, v)) for v in value)
    return subject, str(named.get(value, value))


def describe(cond, nested=False, words=None):
    """A condition in the session's language, e.g. ``体温 ≥ 39 °C 且 （年龄 > 65 或 …）``;
    ``words`` (:func:`campaign_words`) name what answer tests read."""
    if not isinstance(cond, dict):
        return str(cond)
    for group in ("all", "any"):
        if isinstance(cond.get(group), list):
            joined = t(f"cond.{group}").join(describe(c, True, words) for c in cond[group])
            return f"（{joined}）" if nested and len(cond[group]) > 1 else joined
    kind = next((k for k in ("check", "member", "household", ANSWER) if k in cond), None)
    if kind is None:
        return json.dumps(cond, ensure_ascii=False)
    operand, op = cond[kind], cond.get("op")
    if kind == ANSWER:
        subject, value = _answer_test(cond, words)
    else:
        subject, value = t(f"operand.{operand}"), _value(operand, cond.get("value"))
    if op == "contains":
        return f"{subject}{t('cond.contains')}{value}"
    if op == "in":
        return f"{subject}{t('cond.in')}{value}"
    return f"{subject} {SYMBOLS.get(op, op)} {value}"


def _rule_name(rules, path):
    """``第2条规则（fever） · when.op`` for an error path ``rules[1].when.op``."""
    found = RULE_PATH.fullmatch(path)
    if found is None:
        return path
    index, rest = int(found.group(1)), found.group(2)
    rule = rules[index] if index < len(rules) else None
    name = rule.get("id") if isinstance(rule, dict) else None
    where = t("rules.nth", n=index + 1) + (f"（{name}）" if name else "")
    return f"{where} · {rest}" if rest else where


def _admin():
    if not current_user.is_admin:
        raise Forbidden(t("error.forbidden"))


def _page(doc, text, errors=(), status=200):
    rules = doc.get("rules") or []
    words = campaign_words(rules)
    return render_template("console/rules.html", doc=doc, rules=rules,
                           shipped="_rev" not in doc, text=text, errors=errors,
                           form=RulesForm(), describe=lambda cond: describe(cond, words=words),
                           reason_lang=lang()), status


@bp.get("/admin/rules")
def rules():
    """Every rule in a readable table, and the rule set as JSON to edit."""
    _admin()
    doc = current_rules()
    return _page(doc, json.dumps(doc.get("rules") or [], ensure_ascii=False, indent=2))


@bp.post("/admin/rules")
def save():
    """Check the edited rule set and save it with its version raised."""
    _admin()
    form, current = RulesForm(), current_rules()
    text = form.rules.data or ""
    try:
        rules = json.loads(text)
    except json.JSONDecodeError as err:
        message = t("rules.bad_json", line=err.lineno, col=err.colno, msg=err.msg)
        return _page(current, text, [("rules", message)], 400)
    if str(form.version.data) != str(current.get("version")):
        raise Conflict(t("rules.stale", version=current.get("version")))
    doc = {"_id": RULES_ID, "type": "rules", "schema": 2,
           "version": int(current.get("version") or 0) + 1, "rules": rules,
           "updated_at": now_iso(), "updated_by": current_user.name, "device": device()}
    if "_rev" in current:
        doc["_rev"] = current["_rev"]
    try:
        validate(doc)
    except ValidationFailed as err:
        shown = rules if isinstance(rules, list) else []
        errors = [(_rule_name(shown, e["field"]), e["zh"] if lang() == "zh" else e["en"])
                  for e in err.errors]
        return _page(current, text, errors, 400)
    rev = save_rules(doc)
    audit("rules.save", RULES_ID, version=doc["version"], rules=len(rules), rev=rev)
    flash(t("rules.saved", version=doc["version"]), "ok")
    return redirect(url_for(".rules"))


def evaluate_visit(visit, household, previous_at):
    """The server's evaluation of ``visit`` with the rule set in force, beside
    what the tablet recorded.

    The household is taken as it is now, last visited at ``previous_at``
    (epoch or None), and the clock set to the visit's time, so the rules see
    the visit as the tablet did. Returns ``{"version", "warnings",
    "differs", "missing", "extra", "error"}``: ``missing`` are (rule,
    member) pairs the server finds but the tablet did not record, ``extra``
    the other way round.
    """
    doc = current_rules()
    at = epoch(visit.get("visited_at"))
    moment = None if at is None else datetime.fromtimestamp(at, timezone.utc)
    home = dict(household or {})
    if previous_at is not None:
        home["last_visit_at"] = datetime.fromtimestamp(previous_at, timezone.utc).isoformat()
    found = {"version": doc.get("version"), "warnings": [], "error": None,
             "recorded_version": visit.get("rules_version")}
    try:
        found["warnings"] = evaluate(doc, visit, home, moment)["warnings"]
    except RuleError as err:
        found["error"] = str(err)
    ours = {(w["rule"], w.get("member")) for w in found["warnings"]}
    theirs = {(w.get("rule"), w.get("member")) for w in visit.get("warnings") or []
              if isinstance(w, dict)}
    found["missing"], found["extra"] = sorted(ours - theirs, key=str), sorted(theirs - ours,
                                                                              key=str)
    found["differs"] = bool(found["missing"] or found["extra"] or found["error"])
    return found
