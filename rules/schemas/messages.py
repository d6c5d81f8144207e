"""Error messages: one rule name per check, rendered in Chinese and English.

Validators raise ``ValidationError(Problem(rule, **params))``. A ``Problem``
is a ``str`` (its value is the rule name), so marshmallow stores and merges
it like any message, and the rule and parameters ride along untouched.
The few messages marshmallow makes itself (required, null, unknown field,
not an object) are plain strings listed in ``PLAIN``.

``flatten`` turns marshmallow's nested error dict into the public list
``[{"field", "rule", "zh", "en"}]`` with paths like ``checks[0].temperature``
(list items as ``[i]``, object members as ``.name``).
"""

from rules.schemas import campaign_words

SCHEMA_KEY = "_schema"


class Problem(str):
    """An error message carrying its rule name and parameters."""

    def __new__(cls, rule, **params):
        self = super().__new__(cls, rule)
        self.rule = rule
        self.params = params
        return self


# Messages marshmallow builds from error_messages (formatted, so plain str).
PLAIN = {
    "required": ("required", {}),
    "unknown": ("unknown", {}),
    "type:object": ("type", {"kind": "object"}),
}

# Field labels: "parent.leaf" first, then "leaf".
LABELS = {
    "_id": ("文档编号", "document id"),
    "type": ("文档类型", "type"),
    "schema": ("文档版本", "schema version"),
    "grid": ("网格", "grid"),
    "updated_at": ("更新时间", "update time"),
    "updated_by": ("更新人", "last editor"),
    "device": ("设备编号", "device id"),
    "stamps": ("字段时间戳", "field stamp"),
    "ext": ("扩展数据", "ext"),
    "building": ("楼栋", "building"),
    "unit": ("单元", "unit"),
    "room": ("房号", "room"),
    "address": ("地址", "address"),
    "head": ("户主", "head of household"),
    "phone": ("联系电话", "phone"),
    "members": ("家庭成员", "members"),
    "members.id": ("成员编号", "member id"),
    "members.name": ("成员姓名", "member name"),
    "members.notes": ("成员备注", "member notes"),
    "members.status": ("成员状态", "member status"),
    "name": ("网格名称", "grid name"),
    "birth_year": ("出生年份", "birth year"),
    "id_number": ("身份证号", "ID number"),
    "gender": ("性别", "gender"),
    "tags": ("重点人群标签", "key-population tags"),
    "notes": ("备注", "notes"),
    "colour": ("颜色标记", "colour"),
    "colour_reason": ("标色原因", "colour reason"),
    "household": ("所属住户", "household"),
    "visited_at": ("走访时间", "visit time"),
    "worker": ("网格员", "worker"),
    "outcome": ("走访结果", "outcome"),
    "checks": ("成员检查", "member checks"),
    "member": ("相关成员", "member concerned"),
    "checks.member": ("被检查成员", "checked member"),
    "temperature": ("体温", "temperature"),
    "symptoms": ("症状", "symptoms"),
    "antigen": ("抗原检测结果", "antigen result"),
    "bp_systolic": ("收缩压", "systolic pressure"),
    "bp_diastolic": ("舒张压", "diastolic pressure"),
    "spo2": ("血氧饱和度", "SpO2"),
    "medication_on_hand": ("是否备有药品", "medication on hand"),
    "needs": ("需求", "needs"),
    "needs.kind": ("需求类别", "need kind"),
    "needs.detail": ("需求说明", "need detail"),
    "kind": ("诉求类别", "request kind"),
    "detail": ("诉求内容", "request detail"),
    "urgency": ("紧急程度", "urgency"),
    "services": ("现场服务", "services"),
    "colour_after": ("走访后颜色", "colour after the visit"),
    "follow_up_on": ("复访日期", "follow-up date"),
    "status": ("状态", "status"),
    "visit": ("关联走访", "visit"),
    "sla": ("办理时限", "response deadline"),
    "status_times": ("状态时间", "status time"),
    "assignee": ("承办人", "assignee"),
    "opened_at": ("受理时间", "opening time"),
    "state": ("审核结论", "review state"),
    "comment": ("审核意见", "comment"),
    "reviewer": ("审核人", "reviewer"),
    "reviewed_at": ("审核时间", "review time"),
    "community": ("社区编号", "community id"),
    "community_name": ("社区名称", "community name"),
    "street": ("街道编号", "street id"),
    "street_name": ("街道名称", "street name"),
    "_attachments": ("照片", "photo"),
    # Early warnings on a visit.
    "warnings": ("预警提示", "warnings"),
    "rule": ("预警规则", "rule"),
    "warnings.colour": ("建议颜色", "suggested colour"),
    "referral": ("建议转诊", "suggested referral"),
    "reason": ("预警原因", "reason"),
    "decision": ("处理决定", "decision"),
    "override_reason": ("不采纳原因", "override reason"),
    "rules_version": ("规则版本", "rule set version"),
    "supersedes": ("所修改的走访", "visit it amends"),
    "channel": ("联系方式", "contact channel"),
    "closed_by": ("关闭此审核的修改走访", "amendment that closed the review"),
    # Referrals and satisfaction on a request.
    "target": ("转诊去向", "referral target"),
    "target_name": ("转诊机构名称", "referral target name"),
    "satisfaction": ("满意度", "satisfaction"),
    "satisfaction_comment": ("满意度评价", "satisfaction comment"),
    "satisfaction_at": ("满意度回访时间", "satisfaction time"),
    # Notices and receipts.
    "title": ("通知标题", "title"),
    "body": ("通知内容", "body"),
    "priority": ("优先级", "priority"),
    "audience": ("通知对象", "audience"),
    "audience.kind": ("通知范围", "audience kind"),
    "audience.id": ("通知对象编号", "audience id"),
    "published_by": ("发布人", "publisher"),
    "published_by_name": ("发布人姓名", "publisher's name"),
    "published_at": ("发布时间", "publication time"),
    "expires_at": ("截止时间", "expiry time"),
    "notice": ("所属通知", "notice"),
    "reader": ("阅读人", "reader"),
    "read_at": ("阅读时间", "read time"),
    # Rule sets.
    "version": ("规则集版本", "rule set version"),
    "rules": ("规则", "rules"),
    "rules.id": ("规则编号", "rule id"),
    "rules.reason": ("规则原因", "rule reason"),
    "reason.zh": ("中文原因", "Chinese reason"),
    "reason.en": ("英文原因", "English reason"),
    "when": ("触发条件", "condition"),
    "all": ("全部条件", "all conditions"),
    "any": ("任一条件", "any conditions"),
    "op": ("比较运算符", "operator"),
    "value": ("比较值", "value"),
    "check": ("检查项", "check reading"),
    "when.member": ("成员属性", "member attribute"),
    "all.member": ("成员属性", "member attribute"),
    "any.member": ("成员属性", "member attribute"),
    "when.household": ("住户属性", "household attribute"),
    "all.household": ("住户属性", "household attribute"),
    "any.household": ("住户属性", "household attribute"),
    "when.answer": ("所读专项摸排", "campaign read"),
    "all.answer": ("所读专项摸排", "campaign read"),
    "any.answer": ("所读专项摸排", "campaign read"),
    "when.question": ("所读题目", "question read"),
    "all.question": ("所读题目", "question read"),
    "any.question": ("所读题目", "question read"),
    # List items, for errors on one item ("services[3]").
    "members[]": ("家庭成员", "member"),
    "checks[]": ("成员检查", "check"),
    "needs[]": ("需求", "need"),
    "services[]": ("现场服务", "service"),
    "tags[]": ("重点人群标签", "tag"),
    "symptoms[]": ("症状", "symptom"),
    "warnings[]": ("预警提示", "warning"),
    "rules[]": ("规则", "rule"),
    "all[]": ("条件", "condition"),
    "any[]": ("条件", "condition"),
}

# Object fields whose keys are data, not field names: "stamps.colour".
MAPPINGS = ("stamps", "status_times", "_attachments")

# Chinese names of enum values, shown next to the value.
VALUE_ZH = {
    "green": "绿", "yellow": "黄", "red": "红",
    "male": "男", "female": "女", "other": "其他",
    "over65": "65岁以上", "elderly_alone": "空巢/独居老人", "chronic": "慢性病",
    "pregnant": "孕产妇", "disabled": "残疾", "immunocompromised": "免疫力低下",
    "met": "见面", "not_home": "不在家", "refused": "拒绝", "moved": "已搬走",
    "present": "在住", "deceased": "已故", "active": "在住", "moved_out": "已搬离",
    "door": "入户", "phone": "电话", "wechat": "微信", "video": "视频",
    "fever": "发热", "cough": "咳嗽", "sore_throat": "咽痛", "short_breath": "气促",
    "fatigue": "乏力", "diarrhea": "腹泻",
    "negative": "阴性", "positive": "阳性", "not_tested": "未检测",
    "medicine": "药品", "groceries": "生活物资", "doctor": "就医", "referral": "转诊",
    "repair": "维修", "psychological": "心理疏导", "complaint": "投诉",
    "low": "低", "normal": "一般", "high": "高", "urgent": "紧急",
    "onsite_5m": "5分钟到场", "fix_20m": "20分钟解决", "plan_2d": "2天答复",
    "open": "待受理", "assigned": "已派单", "in_progress": "办理中",
    "resolved": "已解决", "closed": "已关闭",
    "draft": "草稿", "submitted": "已提交",
    "pending": "待审核", "approved": "通过", "needs_fix": "退回修改", "rejected": "不通过",
    "referred": "已转诊", "accepted": "已接收", "seen": "已就诊", "overridden": "不采纳",
    "family_doctor": "家庭医生", "community_health_centre": "社区卫生服务中心",
    "hospital": "医院", "satisfied": "满意", "basically_satisfied": "基本满意",
    "dissatisfied": "不满意", "important": "重要", "grid": "网格", "community": "社区",
    "everyone": "所有人",
}

TYPE_NAMES = {
    "string": ("文本", "a string"),
    "integer": ("整数", "an integer"),
    "number": ("数字", "a number"),
    "boolean": ("布尔值（true 或 false）", "true or false"),
    "list": ("列表", "a list"),
    "object": ("对象", "an object"),
}

FORMATS = {
    "datetime": ("须为带时区的 ISO 8601 日期时间，如 2026-11-24T09:30:00+08:00",
                 "must be an ISO 8601 date-time with a time zone, "
                 "e.g. 2026-11-24T09:30:00+08:00"),
    "date": ("须为日期，格式如 2026-11-30", "must be a date like 2026-11-30"),
    "phone": ("只能包含数字、空格、+ 和 -", "may contain only digits, spaces, + and -"),
    "stamp": ("须为 [时钟, 设备编号]，时钟形如 1764000000000-0001",
              "must be [hlc, device] with an hlc like 1764000000000-0001"),
    "household_id": ("须为住户编号，形如 household:网格:户号",
                     "must be a household id like household:{grid}:{hh}"),
    "visit_id": ("须为走访记录编号，形如 visit:网格:编号",
                 "must be a visit id like visit:{grid}:{uuid}"),
    "attachment": ("须为附件对象，包含 content_type 以及 data 或 length",
                   "must be an attachment object with content_type and data or length"),
    "base64": ("的数据不是有效的 Base64 编码", "data is not valid base64"),
    "id_number": ("须为 18 位：17 位数字加 1 位数字或大写 X",
                  "must be 18 characters: 17 digits, then a digit or a capital X"),
    "notice_id": ("须为通知编号，形如 notice:网格:编号",
                  "must be a notice id like notice:{grid}:{uuid}"),
    "doc_id": ("格式不正确：网格和编号只能由字母、数字、_ 和 - 组成，长度 1–64",
               "is malformed: grid and key segments are 1–64 characters of "
               "A-Z a-z 0-9 _ -"),
}

REQUIRED_WHEN = {
    "colour": ("标为黄色或红色时须填写", "is required when the colour is yellow or red"),
    "review": ("退回修改或不通过时须填写", "is required when the review is needs_fix or rejected"),
    "referral": ("转诊（referral）须填写", "is required for a referral"),
    "override": ("不采纳时须填写", "is required when the decision is overridden"),
    "audience": ("通知网格或社区时须填写", "is required when the audience is a grid or community"),
}

ONLY_WHEN = {
    "referral": ("只能用于转诊（referral）诉求", "is only allowed on referrals"),
    "closed": ("只能在状态为已关闭（closed）时填写", "is only recorded when the status is closed"),
    "satisfaction": ("只能在填写满意度后填写", "is only allowed with a satisfaction"),
    "override": ("只在不采纳（overridden）时填写", "is only given when the decision is overridden"),
    "audience": ("在通知所有人时不填写", "is absent when the audience is everyone"),
}

# Whole-message overrides for one field and rule.
OVERRIDES = {
    ("schema", "enum"): ("文档版本须为 2（当前版本）或 1（上一版本）",
                         "schema version must be 2 (current) or 1 (previous)"),
    ("_id", "kind"): ("文档编号须以 grid:、household:、visit:、request:、review:visit:、"
                      "notice:、receipt:、sendback:、rules:、campaign:、form: 或 answer: 开头",
                      "the document id must start with grid:, household:, visit:, "
                      "request:, review:visit:, notice:, receipt:, sendback:, rules:, "
                      "campaign:, form: or answer:"),
    ("decision", "enum"): ("处理决定须为 accepted（采纳）或 overridden（不采纳）",
                           "the decision must be accepted or overridden"),
    ("expires_at", "after_published"): ("截止时间须晚于发布时间",
                                        "the expiry time must be after the publication time"),
    ("checks", "only_when_met"): ("只有走访结果为见面（met）时才能填写成员检查",
                                  "member checks are only recorded when the outcome is met"),
    ("follow_up_on", "not_before_visit"): ("复访日期不能早于走访日期",
                                           "the follow-up date must not be before the visit date"),
    ("bp_diastolic", "below_systolic"): ("舒张压须低于收缩压",
                                         "diastolic pressure must be below systolic pressure"),
    ("_attachments", "content_type"): ("照片须为 JPEG 或 PNG 图片（image/jpeg、image/png）",
                                       "photos must be image/jpeg or image/png"),
    ("_attachments", "file_size"): ("每张照片不能超过 5 MB", "each photo must be at most 5 MB"),
    ("id_number", "checksum"): ("身份证号校验位不正确（GB 11643-1999），请核对每一位",
                                "the ID number's check digit is wrong (GB 11643-1999): "
                                "check every character"),
    ("id_number", "birth_date"): ("身份证号中的出生日期（第 7–14 位）须为 1900 年以来、"
                                  "不晚于今天的真实日期",
                                  "the ID number's birth date (characters 7–14) must be a real "
                                  "date from 1900 to today"),
}


# The campaign documents' words join the tables; a word already there stays.
for _table, _words in ((LABELS, campaign_words.LABELS), (FORMATS, campaign_words.FORMATS),
                       (REQUIRED_WHEN, campaign_words.REQUIRED_WHEN),
                       (ONLY_WHEN, campaign_words.ONLY_WHEN),
                       (OVERRIDES, campaign_words.OVERRIDES)):
    for _key, _value in _words.items():
        _table.setdefault(_key, _value)


def _choices(values):
    zh = "、".join(f"{v}（{VALUE_ZH[v]}）" if v in VALUE_ZH else str(v) for v in values)
    return zh, ", ".join(str(v) for v in values)


def _label(names, item):
    """Chinese and English label for a field path given as its names."""
    if not names:
        return LABELS["_id"]
    leaf = names[-1]
    parent = names[-2] if len(names) > 1 else ""
    if parent in MAPPINGS:
        zh, en = LABELS[parent]
        return f"{zh}“{leaf}”", f'{en} "{leaf}"'
    return ((item and LABELS.get(f"{leaf}[]")) or LABELS.get(f"{parent}.{leaf}")
            or LABELS.get(leaf) or (f"“{leaf}”", f'"{leaf}"'))


def render(names, rule, params, item=False):
    """The (zh, en) message for ``rule`` on the field named by ``names``.

    ``item`` says the error is on one item of the list ``names[-1]``.
    """
    leaf = names[-1] if names else "_id"
    parent = names[-2] if len(names) > 1 else ""
    key = parent if parent in MAPPINGS else leaf
    if (key, rule) in OVERRIDES:
        return OVERRIDES[(key, rule)]
    zh, en = _label(names, item)
    p = params
    if rule == "required":
        if p.get("when") in REQUIRED_WHEN:
            when_zh, when_en = REQUIRED_WHEN[p["when"]]
            return f"{when_zh}{zh}", f"{en} {when_en}"
        return f"{zh}为必填项", f"{en} is required"
    if rule == "only_when":
        when_zh, when_en = ONLY_WHEN[p["when"]]
        return f"{zh}{when_zh}", f"{en} {when_en}"
    if rule == "condition":
        return (f"{zh}须为 all、any，或对 check、member、household、answer 之一的一项比较",
                f"{en} must be all, any, or one test of check, member, household or answer")
    if rule == "type":
        if p.get("kind") == "document":
            return "文档须为 JSON 对象", "the document must be a JSON object"
        tzh, ten = TYPE_NAMES.get(p.get("kind"), ("正确的类型", "of the right type"))
        return f"{zh}须为{tzh}", f"{en} must be {ten}"
    if rule == "length":
        lo, hi = p["min"], p["max"]
        if lo:
            return f"{zh}须为 {lo}–{hi} 个字符", f"{en} must be {lo} to {hi} characters"
        return f"{zh}不能超过 {hi} 个字符", f"{en} must be at most {hi} characters"
    if rule == "range":
        unit = p.get("unit", "")
        return (f"{zh}须在 {p['min']}–{p['max']}{unit} 之间",
                f"{en} must be between {p['min']} and {p['max']}{unit}")
    if rule == "enum":
        czh, cen = _choices(p["choices"])
        return f"{zh}须为以下之一：{czh}", f"{en} must be one of: {cen}"
    if rule == "format":
        fzh, fen = FORMATS[p["kind"]]
        return f"{zh}{fzh}", f"{en} {fen}"
    if rule == "count":
        return f"{zh}最多 {p['max']} 项", f"{en} may have at most {p['max']} items"
    if rule == "unique":
        value = p.get("value")
        return f"{zh}“{value}”重复", f'{en} "{value}" is repeated'
    if rule == "unknown":
        return (f"未知字段“{leaf}”（扩展数据请放在 ext 中）",
                f'unknown field "{leaf}" (put extension data under ext)')
    if rule == "future":
        return (f"{zh}不能晚于当前时间 10 分钟以上，请检查设备时钟",
                f"{en} must not be more than 10 minutes in the future; check the device clock")
    if rule == "version":
        return f"{zh}仅在文档版本 2 中使用", f"{en} is only allowed in schema version 2"
    if rule == "matches_id":
        exp = p["expected"]
        return f"{zh}须与文档编号一致，应为“{exp}”", f'{en} must match the document id: "{exp}"'
    if rule == "same_grid":
        return (f"{zh}须属于本文档的网格“{p['grid']}”",
                f'{en} must be in the document\'s grid "{p["grid"]}"')
    return f"{zh}的值不正确", f"{en} is invalid ({rule})"


def _walk(messages, names, path, out, item=False):
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == SCHEMA_KEY:
                _walk(value, names, path, out, item)
            elif isinstance(key, int):
                _walk(value, names, f"{path}[{key}]", out, True)
            else:
                key = str(key)
                _walk(value, names + [key], f"{path}.{key}" if path else key, out)
    elif isinstance(messages, list):
        for message in messages:
            _walk(message, names, path, out, item)
    else:
        if isinstance(messages, Problem):
            rule, params = messages.rule, messages.params
        else:
            rule, params = PLAIN.get(messages, ("invalid", {}))
        zh, en = render(names, rule, params, item)
        out.append({"field": path or "_id", "rule": rule, "zh": zh, "en": en})


def flatten(messages):
    """marshmallow's nested error messages as a list of field/rule/zh/en dicts."""
    out = []
    _walk(messages, [], "", out)
    return out


def error(field, rule, **params):
    """One top-level error dict for ``field`` (no marshmallow involved)."""
    zh, en = render([field], rule, params)
    return {"field": field, "rule": rule, "zh": zh, "en": en}
