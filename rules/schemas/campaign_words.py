"""Words of the campaign documents (专项摸排): field labels, formats and value
names, zh first then en; ``messages`` merges them into its tables."""

LABELS = {
    "description": ("摸排说明", "description"),
    "period": ("摸排时段", "period"),
    "period.start": ("开始日期", "start date"),
    "period.end": ("结束日期", "end date"),
    "targets": ("摸排对象", "targets"),
    "targets.kind": ("对象范围", "target kind"),
    "targets.values": ("对象列表", "target values"),
    "channels": ("联系方式", "channels"),
    "created_by": ("发起人", "created by"),
    "created_at": ("发起时间", "creation time"),
    "closed_by": ("结束人", "closed by"),
    "closed_at": ("结束时间", "closing time"),
    "campaign": ("所属专项摸排", "campaign"),
    "form": ("问卷版本", "form version"),
    "form_version": ("问卷版本号", "form version number"),
    "xform_id": ("问卷标识", "form id"),
    "root": ("问卷根节点", "form root"),
    "xform": ("问卷 XForm", "XForm"),
    "questions": ("题目", "questions"),
    "questions.name": ("题目名称", "question name"),
    "questions.path": ("题目路径", "question path"),
    "questions.type": ("题型", "question type"),
    "questions.list": ("选项列表", "choice list"),
    "choices": ("选项", "choices"),
    "languages": ("语言", "languages"),
    "source": ("来源表格", "source spreadsheet"),
    "source.file": ("文件名", "file name"),
    "sha256": ("校验值", "checksum"),
    "size": ("文件大小", "file size"),
    "uploaded_by": ("上传人", "uploaded by"),
    "uploaded_at": ("上传时间", "upload time"),
    "answered_at": ("答卷时间", "answer time"),
    "channel": ("联系方式", "channel"),
    "values": ("答卷内容", "answers"),
    "questions[]": ("题目", "question"),
    "values[]": ("对象", "value"),
}

FORMATS = {
    "campaign_id": ("须为专项摸排编号，形如 campaign:community:社区:编号",
                    "must be a campaign id like campaign:community:{community}:{key}"),
    "form_id": ("须为问卷版本编号，形如 form:community:社区:编号:版本",
                "must be a form id like form:community:{community}:{key}:{version}"),
    "form_of_campaign": ("须为本专项摸排的问卷版本",
                         "must be a form version of this campaign"),
}

REQUIRED_WHEN = {
    "targets": ("按标签、颜色、网格或楼栋摸排时须填写",
                "is required when targeting by tag, colour, grid or building"),
    "select": ("单选题和多选题须填写", "is required for select questions"),
}

ONLY_WHEN = {
    "targets": ("在摸排全部住户时不填写", "is absent when every household is targeted"),
    "closed": ("只在专项摸排结束后填写", "is present only when the campaign is closed"),
}

OVERRIDES = {
    ("end", "not_before_start"): ("结束日期不能早于开始日期",
                                  "the end date must not be before the start date"),
}
