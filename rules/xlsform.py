"""XLSForm → form version: a campaign's spreadsheet converted by pyxform into
the XForm the tablet renders and the question model both sides check with.

``convert(data, file_name)`` reads an ``.xlsx`` as Excel or WPS writes it,
checks what gridvisit supports (the types of docs/campaign-forms.md), lets
pyxform make the XForm, then builds the question model
(``rules.schemas.campaign_form``): structure, labels and choices from
pyxform's survey, and every XPath (required, constraint, relevant,
calculate) from the XForm's own binds, so the server evaluates exactly
what the engine does. Any problem raises :class:`XLSFormError` listing each
as ``{"sheet", "row", "column", "zh", "en"}`` — never another exception.
"""

import hashlib
import io
import re
import zipfile
from xml.etree import ElementTree

from sync.errors import BadRequest

from rules import ids
from rules.xforms_xpath import XPathProblem, compile_xpath

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"
ROOT = "data"

# XLSForm types gridvisit supports, as pyxform names them in its survey.
TYPES = {"text": "text", "integer": "integer", "decimal": "decimal", "date": "date",
         "select one": "select_one", "select all that apply": "select_multiple",
         "note": "note", "calculate": "calculate", "group": "group", "repeat": "repeat"}
# …and as a spreadsheet writes them (first word of the type column).
SHEET_TYPES = {"text", "integer", "int", "decimal", "date", "select_one", "select_multiple",
               "select_all_that_apply", "note", "calculate", "begin_group", "end_group",
               "begin_repeat", "end_repeat", "begin", "end", "start", "today", "deviceid"}
ENDS = {"end_group", "end_repeat", "end"}
BINDS = {"required": "required", "constraint": "constraint", "relevant": "relevant",
         "calculate": "calculation", "readonly": "read_only"}
ROW_IN_MESSAGE = re.compile(r"\[row : (\d+)\]")
WHERE_IN_MESSAGE = re.compile(r"On the '([^']+)' sheet, the '([^']+)' value")


class XLSFormError(BadRequest):
    """A spreadsheet that cannot become a form; ``problems`` says where and why."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(describe(p) for p in problems))


def problem(sheet, row, column, zh, en):
    """One problem of a spreadsheet, at a sheet, row and column (each may be None)."""
    return {"sheet": sheet, "row": row, "column": column, "zh": zh, "en": en}


def describe(p):
    """``survey 表第 7 行 relevant 列：… / sheet survey, row 7, column relevant: …``."""
    zh, en = [], []
    if p["sheet"]:
        zh.append(f"{p['sheet']} 表")
        en.append(f"sheet {p['sheet']}")
    if p["row"]:
        zh.append(f"第 {p['row']} 行")
        en.append(f"row {p['row']}")
    if p["column"]:
        zh.append(f" {p['column']} 列")
        en.append(f"column {p['column']}")
    where_zh, where_en = "".join(zh).strip(), ", ".join(en)
    return (f"{where_zh}：{p['zh']} / {where_en}: {p['en']}" if where_zh
            else f"{p['zh']} / {p['en']}")


def language_of(key):
    """``zh`` or ``en`` for a pyxform language key (``中文 (zh)``, ``English (en)``,
    ``default``); None for another language."""
    lowered = key.lower()
    if key == "default" or "(zh" in lowered or "中文" in key or lowered.startswith("zh"):
        return "zh"
    if "(en" in lowered or lowered.startswith("english") or lowered == "en":
        return "en"
    return None


def words(value):
    """``{zh, en}`` of a pyxform label (a string or ``{language: text}``), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"zh": value}
    out = {}
    for key, text in value.items():
        lang = language_of(key)
        if lang and isinstance(text, str) and text and text != "-" and lang not in out:
            out[lang] = text
    return out or None


# -- reading the spreadsheet ------------------------------------------------

def _workbook(data):
    import openpyxl                          # only an upload needs it
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise XLSFormError([problem(None, None, None,
                                    "不是有效的 .xlsx 文件，请在 Excel 或 WPS 中另存为 .xlsx 后再上传",
                                    "not a valid .xlsx file: save it as .xlsx in Excel "
                                    "or WPS and upload it again")]) from None


def _rows(sheet):
    rows = [[("" if c is None else str(c).strip()) for c in row]
            for row in sheet.iter_rows(values_only=True)]
    if not rows:
        return [], []
    return rows[0], rows[1:]


def _column(header, name):
    return header.index(name) if name in header else None


def precheck(data):
    """Problems pyxform would miss or word badly, found by reading the sheets;
    returns ``{question name: row}`` for later messages.

    :raises XLSFormError: listing every problem found.
    """
    book = _workbook(data)
    names = {n.strip().lower(): n for n in book.sheetnames}
    if "survey" not in names:
        raise XLSFormError([problem(None, None, None,
                                    "缺少 survey 工作表（题目表）",
                                    "the survey sheet (the questions) is missing")])
    header, rows = _rows(book[names["survey"]])
    header = [h.lower() for h in header]
    type_col, name_col = _column(header, "type"), _column(header, "name")
    problems = [problem("survey", 1, column, f"缺少 {column} 列", f"the {column} column is missing")
                for column, col in (("type", type_col), ("name", name_col)) if col is None]
    if problems:
        raise XLSFormError(problems)
    lists = set()
    if "choices" in names:
        c_header, c_rows = _rows(book[names["choices"]])
        c_header = [h.lower() for h in c_header]
        list_col = _column(c_header, "list_name")
        if list_col is not None:
            lists = {r[list_col] for r in c_rows if len(r) > list_col and r[list_col]}
    where = {}
    for number, row in enumerate(rows, start=2):
        cell = row[type_col] if len(row) > type_col else ""
        name = row[name_col] if len(row) > name_col else ""
        if not cell:
            continue
        parts = cell.split()
        base = parts[0].lower()
        if base in ("begin", "end") and len(parts) > 1:
            base = f"{base}_{parts[1].lower()}"
        if base not in SHEET_TYPES:
            problems.append(problem("survey", number, "type",
                                    f"不支持的题型“{parts[0]}”（支持：text、integer、decimal、date、"
                                    "select_one、select_multiple、note、calculate、group、repeat）",
                                    f'unsupported question type "{parts[0]}" (supported: text, '
                                    "integer, decimal, date, select_one, select_multiple, note, "
                                    "calculate, group, repeat)"))
            continue
        if base in ("select_one", "select_multiple", "select_all_that_apply"):
            if len(parts) < 2:
                problems.append(problem("survey", number, "type",
                                        f"{parts[0]} 后须写选项列表名，如 select_one yes_no",
                                        f"{parts[0]} needs a choice list name, "
                                        "e.g. select_one yes_no"))
            elif parts[1] not in lists:
                problems.append(problem("survey", number, "type",
                                        f"choices 表中没有选项列表“{parts[1]}”",
                                        f'the choices sheet has no list "{parts[1]}"'))
        if base not in ENDS:
            if not name:
                problems.append(problem("survey", number, "name", "题目须有名称（name）",
                                        "every question needs a name"))
            elif name in where:
                problems.append(problem("survey", number, "name",
                                        f"题目名称“{name}”与第 {where[name]} 行重复",
                                        f'the name "{name}" is already used on row {where[name]}'))
            else:
                where[name] = number
    if problems:
        raise XLSFormError(problems)
    return where


# -- pyxform ---------------------------------------------------------------

def _pyxform_problem(err):
    """A problem from a pyxform error: its context, else what its message says."""
    message = str(err).strip()
    context = getattr(err, "context", None) or {}
    row = context.get("row")
    sheet, column = context.get("sheet"), context.get("column")
    if row is None:
        found = ROW_IN_MESSAGE.search(message)
        row = int(found.group(1)) if found else None
    where = WHERE_IN_MESSAGE.search(message)
    if where:
        sheet, column = sheet or where.group(1), column or where.group(2)
    code = getattr(getattr(err, "code", None), "name", "") or ""
    english = ROW_IN_MESSAGE.sub("", message).strip()
    if code.startswith("PYREF") and context.get("q"):
        zh = f"引用了不存在的题目“{context['q']}”（${{{context['q']}}}）"
    elif code.startswith("NAMES") or "Names must begin" in message:
        zh = "名称不合规：须以字母或下划线开头，只能包含字母、数字、_、-、."
    elif code.startswith("HEADER"):
        zh = "表头（第一行的列名）有误"
    else:
        zh = "表格无法转换为问卷（详见英文说明）"
    return problem(sheet or ("survey" if row else None), row, column, zh, english)


def _xform(data):
    from pyxform.errors import PyXFormError      # only an upload needs pyxform
    from pyxform.xls2xform import convert as pyxform_convert
    try:
        return pyxform_convert(data, form_name=ROOT, file_type=".xlsx")
    except PyXFormError as err:
        raise XLSFormError([_pyxform_problem(err)]) from None
    except Exception as err:                     # pyxform's own slips: still the user's sheet
        raise XLSFormError([problem(None, None, None,
                                    f"表格无法转换为问卷：{type(err).__name__}",
                                    f"the spreadsheet cannot be converted: {err}")]) from None


def _binds(xform):
    """``{nodeset: {attribute: value}}`` of the XForm's binds."""
    root = ElementTree.fromstring(xform.encode("utf-8"))
    out = {}
    for bind in root.iter(f"{XF}bind"):
        attrs = {}
        for key, value in bind.attrib.items():
            attrs[key.replace(JR, "jr:")] = value
        out[attrs.get("nodeset")] = attrs
    return out


def _question(node, parent, binds, where, problems):
    kind = TYPES.get(node.get("type"))
    path = f"{parent or '/' + ROOT}/{node['name']}"
    if kind is None:
        problems.append(problem("survey", where.get(node["name"]), "type",
                                f"不支持的题型“{node.get('type')}”",
                                f"unsupported question type \"{node.get('type')}\""))
        return None
    entry = {"name": node["name"], "path": path, "type": kind}
    if parent:
        entry["parent"] = parent
    for key in ("label", "hint"):
        label = words(node.get(key))
        if label:
            entry[key] = label
    if kind in ("select_one", "select_multiple"):
        entry["list"] = node.get("list_name") or node.get("itemset")
    bind = binds.get(path, {})
    for attribute, field in BINDS.items():
        value = (bind.get(attribute) or "").strip()
        if not value or value == "false()":
            continue
        entry[field] = True if field in ("required", "read_only") else value
    for attribute, field in (("jr:constraintMsg", "constraint_message"),
                             ("jr:requiredMsg", "required_message")):
        message = words((node.get("bind") or {}).get(attribute))
        if message:
            entry[field] = message
    if node.get("default") not in (None, ""):
        entry["default"] = str(node["default"])
    if (node.get("control") or {}).get("appearance"):
        entry["appearance"] = node["control"]["appearance"]
    if kind == "repeat" and node.get("control", {}).get("jr:count"):
        entry["repeat_count"] = node["control"]["jr:count"]
    return entry


def _model(survey, binds, where):
    questions, problems = [], []

    def walk(children, parent):
        for node in children:
            if node.get("name") == "meta" and node.get("type") == "group":
                continue                              # instanceID and friends: not questions
            entry = _question(node, parent, binds, where, problems)
            if entry is None:
                continue
            questions.append(entry)
            if entry["type"] in ("group", "repeat"):
                walk(node.get("children", []), entry["path"])

    walk(survey.get("children", []), None)
    for entry in questions:
        for field in ("relevant", "constraint", "calculation"):
            try:
                if entry.get(field):
                    compile_xpath(entry[field])
            except XPathProblem as err:
                problems.append(problem("survey", where.get(entry["name"]), field,
                                        f"表达式无法识别（gridvisit 支持的函数见 "
                                        f"docs/campaign-forms.md）：{err}",
                                        f"the expression is not understood (the functions "
                                        f"gridvisit supports are in docs/campaign-forms.md): {err}"))
    if problems:
        raise XLSFormError(problems)
    return questions


def _choices(survey):
    return {name: [{"name": str(item["name"]), **({"label": words(item.get("label"))}
                                                  if words(item.get("label")) else {})}
                   for item in items]
            for name, items in (survey.get("choices") or {}).items()}


def convert(data, file_name="form.xlsx"):
    """The form of an ``.xlsx`` spreadsheet: ``title``, ``xform_id``, ``root``,
    ``xform``, ``questions``, ``choices``, ``languages``, ``source``, ``warnings``.

    :raises XLSFormError: listing where the spreadsheet is broken.
    """
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise XLSFormError([problem(None, None, None, "没有收到表格文件", "no spreadsheet was sent")])
    where = precheck(bytes(data))
    result = _xform(bytes(data))
    survey = result._pyxform
    binds = _binds(result.xform)
    questions = _model(survey, binds, where)
    languages = sorted({language_of(key) for q in questions for key in
                        (q.get("label") or {})} - {None}) or ["zh"]
    return {"title": str(survey.get("title") or survey.get("id_string") or file_name)[:200],
            "xform_id": str(survey.get("id_string") or ROOT),
            "root": ROOT, "xform": result.xform, "questions": questions,
            "choices": _choices(survey), "languages": languages,
            "source": {"file": file_name[-200:] or "form.xlsx",
                       "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
            "warnings": list(result.warnings or []), "rows": where}


def form_doc(campaign_id, version, converted, by, at):
    """The ``form:…:{version}`` document of ``campaign_id`` from :func:`convert`'s result."""
    doc_id = ids.form_id(campaign_id, version)
    fields = ("title", "xform_id", "root", "xform", "questions", "choices", "languages", "source")
    return {"_id": doc_id, "type": "form", "schema": 2, "grid": ids.grid_of(doc_id),
            "campaign": campaign_id, "form_version": version,
            **{key: converted[key] for key in fields},
            "uploaded_by": by, "uploaded_at": at, "updated_by": by, "updated_at": at}
