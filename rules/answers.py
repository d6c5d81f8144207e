"""Answers checked against their form version: types, choices, required,
constraints, relevance and calculations, with the form's own messages.

``check(values, form, today)`` returns every problem of an answer's
``values`` as ``{"field", "rule", "zh", "en"}`` (fields like
``values.members[1].age``), the shape of ``rules.schemas``' errors, so a
refused answer is quarantined like any document. The answer becomes an
XForms instance (an ElementTree: a group is an element holding its
questions, a repeat one element per entry) and every XPath of the question
model is evaluated on it by ``rules.xforms_xpath`` at its own node, as the
form engine does: calculations first, in form order; then each question
that is not relevant (its own ``relevant`` or a group's or repeat's around
it) must have no answer, and each relevant one must be given when required
and meet its constraint when given.

Rules: ``unknown`` (no such question), ``type``, ``choice``,
``not_relevant``, ``required``, ``constraint``, ``calculation`` (a
calculated value that differs from the form's), ``count`` (too many repeat
entries), ``xpath`` (an expression of the form that fails).
"""

import math
import re
from xml.etree import ElementTree

from rules.xforms_xpath import XPathProblem, evaluate, text, truth

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_REPEATS = 200
TYPE_WORDS = {"text": ("文本", "text"), "integer": ("整数", "a whole number"),
              "decimal": ("数字", "a number"), "date": ("日期（如 2026-12-07）", "a date like 2026-12-07"),
              "select_one": ("一个选项", "one choice"),
              "select_multiple": ("选项列表", "a list of choices"),
              "calculate": ("计算值", "a calculated value"),
              "repeat": ("列表", "a list of entries")}


def _label(question):
    words = question.get("label") or {}
    zh = words.get("zh") or words.get("en") or question["name"]
    return zh, words.get("en") or zh


def _problem(field, rule, zh, en):
    return {"field": field, "rule": rule, "zh": zh, "en": en}


class _Form:
    """The question model arranged for checking: children by parent path."""

    def __init__(self, form):
        self.form = form
        self.root = form.get("root") or "data"
        self.questions = form.get("questions") or []
        self.children = {}
        for question in self.questions:
            self.children.setdefault(question.get("parent") or f"/{self.root}", []).append(question)
        self.choices = {name: {item["name"] for item in items}
                        for name, items in (form.get("choices") or {}).items()}


def _scalar(question, value, field, problems, form):
    """The instance text of one answered value, or None after a problem."""
    kind, (zh, en) = question["type"], _label(question)
    wrong = _problem(field, "type", f"“{zh}”须为{TYPE_WORDS.get(kind, ('文本',))[0]}",
                     f'"{en}" must be {TYPE_WORDS.get(kind, ("", "text"))[1]}')
    if kind == "select_multiple":
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(wrong)
            return None
        outside = [v for v in value if v not in form.choices.get(question.get("list"), ())]
        if outside or len(set(value)) != len(value):
            problems.append(_problem(field, "choice", f"“{zh}”的选项“{'、'.join(outside) or '重复'}”不在选项列表中",
                                     f'"{en}": {", ".join(outside) or "a repeated choice"} '
                                     "is not one of its choices"))
            return None
        return " ".join(value)
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        problems.append(wrong)
        return None
    if kind == "integer" and not (isinstance(value, int) or
                                  (isinstance(value, float) and value.is_integer())):
        problems.append(wrong)
        return None
    if kind == "decimal" and not (isinstance(value, (int, float)) and math.isfinite(value)):
        problems.append(wrong)
        return None
    if kind in ("text", "date", "select_one") and not isinstance(value, str):
        problems.append(wrong)
        return None
    if kind == "date" and not DATE.fullmatch(value):
        problems.append(wrong)
        return None
    if kind == "select_one" and value not in form.choices.get(question.get("list"), ()):
        problems.append(_problem(field, "choice", f"“{zh}”的选项“{value}”不在选项列表中",
                                 f'"{en}": "{value}" is not one of its choices'))
        return None
    if kind == "integer":
        return str(int(value))
    return text(float(value)) if kind == "decimal" else str(value)


def _build(form, parent_path, values, element, field, problems, given, inline=False):
    """Fill ``element`` with the questions under ``parent_path`` from ``values``
    (``inline``: a group's, whose answers sit among its parent's)."""
    if not isinstance(values, dict):
        problems.append(_problem(field or "values", "type", "答卷内容须为对象",
                                 "the answers must be an object"))
        return
    known = set()
    for question in form.children.get(parent_path, []):
        name, kind = question["name"], question["type"]
        path = f"{field}.{name}" if field else f"values.{name}"
        if kind == "group":
            node = ElementTree.SubElement(element, name)
            _build(form, question["path"], values, node, field, problems, given, True)
            known.update(q["name"] for q in _descendants(form, question["path"]))
            continue
        known.add(name)
        if kind == "repeat":
            entries = values.get(name, [])
            if not isinstance(entries, list):
                problems.append(_problem(path, "type", f"“{_label(question)[0]}”须为列表",
                                         f'"{_label(question)[1]}" must be a list of entries'))
                entries = []
            if len(entries) > MAX_REPEATS:
                problems.append(_problem(path, "count", f"“{_label(question)[0]}”最多 {MAX_REPEATS} 项",
                                         f'"{_label(question)[1]}" may have at most {MAX_REPEATS} entries'))
                entries = entries[:MAX_REPEATS]
            for index, entry in enumerate(entries):
                node = ElementTree.SubElement(element, name)
                _build(form, question["path"], entry, node, f"{path}[{index}]", problems, given)
            known.update(q["name"] for q in _descendants(form, question["path"]))
            continue
        node = ElementTree.SubElement(element, name)
        if name in values and values[name] is not None and values[name] != "" \
                and values[name] != []:
            if kind == "note":
                problems.append(_problem(path, "unknown", f"“{_label(question)[0]}”是说明，不能作答",
                                         f'"{_label(question)[1]}" is a note and takes no answer'))
                continue
            node.text = _scalar(question, values[name], path, problems, form)
            if node.text is not None:
                given[id(node)] = (path, values[name])
    for key in () if inline else values:
        if key not in known:
            problems.append(_problem(f"{field}.{key}" if field else f"values.{key}", "unknown",
                                     f"问卷中没有题目“{key}”", f'the form has no question "{key}"'))


def _descendants(form, path):
    out = []
    for question in form.children.get(path, []):
        out.append(question)
        if question["type"] in ("group", "repeat"):
            out.extend(_descendants(form, question["path"]))
    return out


def _nodes(form, document, question):
    """``[(element, field path)]`` of ``question`` in the instance."""
    steps = question["path"].strip("/").split("/")[1:]
    found = [(document.getroot(), "values")]
    prefix = f"/{form.root}"
    for step in steps:
        prefix = f"{prefix}/{step}"
        kind = next((q["type"] for q in form.questions if q["path"] == prefix), None)
        nxt = []
        for element, field in found:
            matches = element.findall(step)
            for index, child in enumerate(matches):
                if kind == "repeat":
                    nxt.append((child, f"{field}.{step}[{index}]"))
                elif kind == "group":
                    nxt.append((child, field))
                else:
                    nxt.append((child, f"{field}.{step}"))
        found = nxt
    return found


def _run(expression, document, node, question, column, today, problems):
    try:
        return evaluate(expression, document, node, today)
    except XPathProblem as err:
        zh, en = _label(question)
        problems.append(_problem(f"form.{question['name']}", "xpath",
                                 f"问卷“{zh}”的 {column} 无法计算：{err}",
                                 f'the form\'s {column} of "{en}" cannot be evaluated: {err}'))
        return None


def check(values, form, today=None):
    """Every problem of answer ``values`` against ``form`` (a form version doc)."""
    model, problems, given = _Form(form), [], {}
    root = ElementTree.Element(model.root)
    document = ElementTree.ElementTree(root)
    _build(model, f"/{model.root}", values, root, "", problems, given)
    if problems:
        return problems
    for question in model.questions:                        # calculations, in form order
        if question["type"] == "calculate" and question.get("calculation"):
            for node, field in _nodes(model, document, question):
                sent = node.text
                result = _run(question["calculation"], document, node, question,
                              "calculation", today, problems)
                if result is None:
                    continue
                node.text = text(result)
                if sent not in (None, "") and not _same(sent, node.text):
                    zh, en = _label(question)
                    problems.append(_problem(field, "calculation",
                                             f"“{zh}”应为计算结果“{node.text}”，而不是“{sent}”",
                                             f'"{en}" must be the calculated "{node.text}", '
                                             f'not "{sent}"'))
    hidden = set()
    for question in model.questions:
        for node, field in _nodes(model, document, question):
            _check_one(model, document, question, node, field, today, hidden, problems)
    return problems


def _same(a, b):
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def _check_one(model, document, question, node, field, today, hidden, problems):
    zh, en = _label(question)
    parent = _parent_node(document, node)
    if parent is not None and id(parent) in hidden:
        hidden.add(id(node))
    elif question.get("relevant"):
        result = _run(question["relevant"], document, node, question, "relevant", today, problems)
        if result is not None and not truth(result):
            hidden.add(id(node))
    answered = (node.text or "") != "" if question["type"] not in ("group", "repeat") else False
    if id(node) in hidden:
        if answered and question["type"] != "calculate":
            problems.append(_problem(field, "not_relevant",
                                     f"“{zh}”此时不适用（不满足显示条件），不应作答",
                                     f'"{en}" does not apply here (its condition is not met) '
                                     "and must not be answered"))
        return
    if question["type"] in ("group", "repeat", "note", "calculate"):
        return
    if question.get("required") and not answered:
        message = question.get("required_message") or {}
        problems.append(_problem(field, "required", message.get("zh") or f"“{zh}”为必填项",
                                 message.get("en") or f'"{en}" is required'))
        return
    if answered and question.get("constraint"):
        result = _run(question["constraint"], document, node, question, "constraint", today,
                      problems)
        if result is not None and not truth(result):
            message = question.get("constraint_message") or {}
            problems.append(_problem(field, "constraint",
                                     message.get("zh") or f"“{zh}”的答案不符合要求",
                                     message.get("en") or message.get("zh")
                                     or f'"{en}": the answer is not allowed'))


def _parent_node(document, node):
    for element in document.iter():
        for child in element:
            if child is node:
                return element
    return None
