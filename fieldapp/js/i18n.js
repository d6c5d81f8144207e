// Words of the app: Chinese (zh-CN) first, English second. t('key', {n: 3})
// fills {n}; v('red') names an enum value; the choice is kept on the tablet.

import { VALUE_ZH } from './rules/schema/messages.js';

const ZH = {
  app: '网格走访', login: '登录', name: '账号', password: '密码', signIn: '登录',
  loginHint: '首次使用需联网登录，之后可离线使用', loginFailed: '登录失败',
  offlineLogin: '当前没有网络，首次登录需要联网', myGrids: '我的网格', households: '户',
  buildings: '楼栋', allHouseholds: '全部住户', search: '搜索房号、姓名（可用拼音或首字母）、电话或完整身份证号',
  noResults: '没有找到住户', never: '未走访', daysAgo: '{n}天前', today: '今天',
  overdue: '复访逾期{n}天', dueToday: '今天复访', followUp: '复访', members: '家庭成员',
  colour: '颜色标记', reason: '原因', visits: '走访记录', requests: '诉求', openRequests: '未办结诉求',
  newVisit: '新增走访', edit: '编辑', save: '保存', cancel: '取消', phone: '电话', head: '户主',
  address: '地址', notes: '备注', noVisits: '还没有走访记录', noRequests: '没有未办结的诉求',
  outcome: '走访结果', checks: '成员健康检查', check: '检查', temperature: '体温 °C',
  symptoms: '症状', antigen: '抗原', bp: '血压 mmHg', systolic: '收缩压', diastolic: '舒张压',
  spo2: '血氧 %', medication: '备有药品', yes: '有', no: '没有', needs: '需求', addNeed: '+ 添加需求',
  detail: '说明', urgency: '紧急程度', raiseRequest: '转为诉求', sla: '办理时限', services: '现场服务',
  addService: '添加', otherService: '其他服务', colourAfter: '走访后颜色', colourReason: '标色原因（黄色、红色必填）',
  followUpOn: '复访日期', tomorrow: '明天', in3days: '3天后', in7days: '一周后', none: '不需要',
  photo: '照片', takePhoto: '拍照 / 选择照片', removePhoto: '删除照片', saveVisit: '保存走访',
  fixErrors: '请修改以下问题后再保存：', saved: '已保存，将在联网时自动上传', remove: '删除',
  addMember: '+ 添加成员', memberName: '姓名', birthYear: '出生年份', gender: '性别', tags: '重点人群',
  online: '在线', offline: '离线', syncing: '同步中…', synced: '已全部上传', lastSync: '上次同步 {t}',
  neverSynced: '尚未同步', pending: '待上传 {n} 条', refused: '被拒收 {n} 条', syncError: '同步出错：{e}',
  authError: '登录已失效，请重新登录', syncDetails: '同步详情', pendingList: '待上传的记录',
  refusedList: '服务器拒收的记录', refusedBanner: '服务器拒收：{r}', nothingPending: '没有待上传的记录',
  nothingRefused: '没有被拒收的记录', retryNow: '立即同步', settings: '设置', language: '语言',
  logout: '退出登录', logoutConfirm: '退出后本机上的走访数据将被清除。确定退出？',
  logoutUnsynced: '还有 {n} 条记录没有上传到服务器（含被拒收的）。退出将永久删除本机上的这些记录！',
  logoutAnyway: '仍然退出并删除', device: '设备', user: '当前用户', version: '版本',
  updateReady: '有新版本可用', updateNow: '立即更新', visitOn: '{d} 走访', worker: '网格员',
  noMembers: '没有登记家庭成员', notChecked: '未检查', visit: '走访', requestRaised: '诉求',
  gridCount: '{n} 户 · 红 {r} · 黄 {y}', overdueCount: '逾期 {n}', lang: 'English',
  visitDetail: '走访详情', loadingData: '正在从服务器下载网格数据…', memberNotes: '成员备注',
  checkMember: '检查此成员', status: '状态', kind: '类别', openedAt: '受理时间', people: '{n}人', refusedHelp: '这些记录仍保存在本机，服务器也已存入隔离区，请联系督导处理。', age: '{n}岁', householdDoc: '住户信息', review: '督导审核',
  // early warnings (预警)
  warnings: '预警', thisHousehold: '本户', suggestColour: '建议标为{c}', suggestReferral: '建议转诊：{r}',
  acceptWarning: '采纳', overrideWarning: '不采纳', overrideReason: '不采纳的原因（必填）',
  decisionAccepted: '已采纳', decisionOverridden: '未采纳', acceptedHint: '已标为{c}，保存时将生成转诊',
  acceptedHintNoReferral: '已标为{c}',
  rulesBroken: '预警规则有误，本次不做自动预警', warningsPending: '还有 {n} 条预警待处理',
  decideWarning: '请处理预警（采纳或不采纳）：{r}', overrideNeedsReason: '不采纳预警须填写原因：{r}',
  rulesVersion: '预警规则第 {n} 版',
  // requests, referrals and satisfaction
  referralTo: '转诊至{r}', nextStatus: '标为{s}', closeRequest: '结案', closedRequests: '已结案',
  satisfactionAsk: '请询问居民对本次办理是否满意', satisfactionComment: '居民意见（可不填）',
  satisfactionNeeded: '请选择居民的满意度', confirmClose: '结案', statusSaved: '已更新，将在联网时自动上传',
  // notices (通知)
  notices: '通知', noNotices: '没有通知', unread: '未读', read: '已读', publishedBy: '{who} 发布于 {t}',
  expiresAt: '有效期至 {t}', noticeRead: '已阅读，回执将在联网时上传', priority: '级别',
  // to do (待办): open referrals and requests of every grid
  todo: '待办', todoReferrals: '转诊', todoRequests: '其他诉求', todoEmpty: '没有需走访的住户和未办结的转诊、诉求',
  todoVisits: '需走访', todoSummaryVisits: '需走访 {v}', lastVisitAgo: '上次走访 {d}前',
  todoSummary: '转诊 {r} · 诉求 {q}', waited: '已等 {d}', minutes: '{n}分钟', hours: '{n}小时', days: '{n}天',
  // drafts (未完成走访): kept on this tablet only
  drafts: '未完成走访', draftSavedAt: '草稿已自动保存 {t}', draftOf: '最后编辑 {t}', resumeDraft: '继续填写',
  resumeVisit: '继续未完成的走访', discardDraft: '放弃草稿', draftResumed: '已恢复未完成的走访（{t}）',
  discardDraftConfirm: '放弃这次未完成的走访？已填写的内容将被删除，无法恢复。', draftDiscarded: '草稿已放弃',
  leaveDraft: '这次走访还没有保存。已填写的内容已存为草稿，可以稍后在住户页或首页继续填写。',
  keepDraftLeave: '保留草稿，稍后继续', stayOnForm: '继续填写', draftHelp: '草稿只保存在本机，保存走访后才会上传',
  logoutDrafts: '还有 {n} 次未完成的走访（草稿只在本机），退出将一并删除！',
  // refused by the server (被拒收)
  refusedDoc: '被拒收的记录', refusedFlag: '被拒收', refusedAt: '服务器于 {t} 拒收', refusedWhy: '拒收原因',
  notRefusedNow: '这条记录现在没有被拒收（已修改重新提交，或已放弃）',
  refusedFixHelp: '请修改后重新提交；也可以放弃（从本机删除，服务器不会收到）。',
  refusedDiscardHelp: '这条记录无法在本机修改，只能放弃（从本机删除）。如有疑问请联系督导。',
  discardRefused: '放弃这条记录', fixRefused: '修改后重新提交', refusedDiscarded: '已放弃',
  discardRefusedConfirm: '放弃后，这条记录将从本机删除，服务器不会收到。确定放弃？',
  fixVisit: '修改被拒收的走访', resent: '已修改，将在联网时重新提交', leave: '离开',
  leaveFix: '离开将丢失本次修改（被拒收的记录仍保留在本机）。确定离开？',
  // sent back by the supervisor (退回修改)
  building: '楼栋', unit: '单元', room: '房号', newHousehold: '新增住户',
  householdAdded: '已新增住户，将在联网时自动上传',
  syncRetrying: '同步出错，将自动重试', syncTrouble: '同步出错', syncTimes: '上次尝试 {last}，下次 {next}',
  sync_server: '服务器出错', sync_unreachable: '连不上服务器',
  memberStatus: '成员状态', householdStatus: '住户状态', movedOutFlag: '已搬离',
  channel: '联系方式', remoteNote: '电话、微信、视频联系时读数可不填；居民自报的读数可勾选成员后填写',
  todoFollowUps: '复访到期', lastVisit: '上次走访', todoSummaryFollow: '复访 {n}',
  todoSentBack: '退回修改', amendVisit: '修改走访', amendSaved: '修改已保存，将在联网时提交督导审核',
  amendHelp: '修改后保存为一次新的走访，原记录保留', leaveAmend: '离开将丢失本次修改。确定离开？',
  amendedBy: '已修改', amendsVisit: '修改自 {d} 的走访', amendedAt: '已于 {d} 修改，等待审核',
  reviewClosed: '已关闭：修改已通过审核', todoSummaryBack: '退回 {n}',
  // punctuation between words: full-width in Chinese, ASCII in English
  colon: '：', listSep: '、', clauseSep: '；', plus: '＋', loading: '正在加载…',
  syncRetryingWith: '同步出错，将自动重试（{what}；{when}）',
  mergeNoticeTitle: '你录入的内容在合并时被改动', mergeBy: '保留了 {who} 的修改', mergeRule: '规则：{rule}',
  mergeRule_most_severe: '取最严重颜色', mergeRule_newest_stamp: '最新修改', mergeRule_winner: '取胜出版本',
  draftKind_visit: '未完成走访', draftKind_edit: '未保存的住户修改', draftKind_new: '未保存的新住户',
  draftKind_answer: '未完成答卷', campaigns: '专项摸排', campaignProgress: '{name} {done}/{total} 户',
  campaignUntil: '截止 {d}', campaignPending: '待摸排 {n} 户', contactAnswer: '电话/微信联系',
  newContactAnswer: '＋ 电话/微信答卷', fillAnswer: '填写答卷', answeredAt: '已填写 {t}',
  saveAnswer: '保存答卷', answerSaved: '答卷已保存，将在联网时自动上传', answerErrors: '还有 {n} 个题目需要修改',
  answerChannel: '联系方式', answerGrid: '网格', answerFor: '摸排对象', leaveAnswerDraft: '答卷还没有保存。已填写的内容已存为草稿，可以稍后在待办或住户页继续填写。',
  discardAnswerConfirm: '放弃这份未完成的答卷？已填写的内容将被删除，无法恢复。', answerResumed: '已恢复未完成的答卷（{t}）',
  formVersion: '问卷第 {n} 版', campaignClosed: '该专项摸排已结束或问卷尚未同步到本机', formFailed: '问卷无法打开：{e}',
  contactAnswers: '电话/微信答卷 {n} 份', campaignMore: '还有 {n} 户', todoSummaryCampaigns: '摸排 {n} 户',
  // the form engine's own words (campaign_engine.js); lists are comma-separated
  engineAdd: '添加', engineRemove: '删除这一组', engineRepeatItem: '一组', engineSend: '提交',
  engineChangeLanguage: '切换语言', engineRequired: '此题必须回答', engineConstraint: '答案不符合要求',
  engineDayNames: '星期日,星期一,星期二,星期三,星期四,星期五,星期六',
  engineDayNamesShort: '周日,周一,周二,周三,周四,周五,周六', engineDayNamesMin: '日,一,二,三,四,五,六',
  engineMonthNames: '一月,二月,三月,四月,五月,六月,七月,八月,九月,十月,十一月,十二月',
  engineMonthNamesShort: '1月,2月,3月,4月,5月,6月,7月,8月,9月,10月,11月,12月',
  engineToday: '今天', engineClear: '清除', engineChooseDate: '选择日期', engineChooseYear: '选择年份',
  engineChooseMonth: '选择月份', enginePrevMonth: '上个月', engineNextMonth: '下个月', enginePrevYear: '上一年',
  engineNextYear: '下一年', engineWeekHeader: '周', engineNoOptions: '没有可选的选项', engineNoResults: '没有找到',
  leaveFormDraft: '住户信息还没有保存。已填写的内容已存为草稿，可以稍后在住户页或首页继续填写。',
  formDraftResumed: '已恢复未保存的填写（{t}）',
  discardFormDraftConfirm: '放弃这份未保存的住户信息？已填写的内容将被删除，无法恢复。',
  mergeMemberField: '{who}的{field}', mergeMemberName: '姓名',
  mergeCleared: '（空）', mergeNoticeHelp: '如有不对，请编辑本户更正；下次编辑后此提示消失',
  locked: '已锁定', unlock: '解锁', pin: 'PIN 码', pinAgain: '再次输入 PIN 码',
  pinSetTitle: '设置 PIN 码', pinSetHelp: '本机数据已加密。请设置 6 位数字 PIN 码：离开一段时间后或重新打开应用时，用它解锁（无需联网）。',
  pinSetSave: '设置并开始使用', pinRule: 'PIN 码须为 6 位数字', pinMismatch: '两次输入的 PIN 码不一致',
  pinWrong: 'PIN 码错误，还可尝试 {n} 次', pinHelp: '请输入 PIN 码解锁', pinChecking: '正在解锁…',
  pinTooMany: 'PIN 码错误次数过多。请联网并输入完整密码登录，然后重新设置 PIN 码。',
  pinWiped: 'PIN 码错误次数过多，按社区规定本机数据已清除。请联网重新登录。',
  forgotPin: '忘记 PIN 码？用密码登录（需联网）',
  sealing: '正在加密本机数据…', sealAgain: '为保护居民个人信息，本机数据需要加密：请联网输入密码重新登录。',
  keyMismatch: '密码已更改：请先输入本机的 PIN 码，以便用新密码保护本机数据。',
  keyLost: '本机数据由旧密码加密，且 PIN 码已停用，无法打开。请联系督导。',
  wipePushing: '此平板已被吊销，正在上传未同步的记录…', wipeTitle: '本机数据已清除',
  wipeBody: '此平板已被督导吊销（例如丢失）。未上传的走访记录已先上传到服务器，本机上的住户、走访数据和登录信息已全部清除。',
  wipeAgain: '如需继续使用，请联系督导后重新登录。', tapToShow: '点击显示',
  idNumber: '身份证号', idBirthYear: '身份证上的出生年份是 {id} 年，与填写的 {given} 年不一致，请核对（可以保存）',
};

const EN = {
  app: 'Grid visits', login: 'Sign in', name: 'Account', password: 'Password', signIn: 'Sign in',
  loginHint: 'Sign in online once; then the app works offline', loginFailed: 'Sign-in failed',
  offlineLogin: 'No network: the first sign-in needs a connection', myGrids: 'My grids', households: 'households',
  buildings: 'Buildings', allHouseholds: 'All households', search: 'Search room, name (pinyin or initials too), phone or a whole ID number',
  noResults: 'No households found', never: 'never visited', daysAgo: '{n} days ago', today: 'today',
  overdue: 'follow-up {n} days overdue', dueToday: 'follow-up today', followUp: 'Follow-up', members: 'Members',
  colour: 'Colour', reason: 'Reason', visits: 'Visits', requests: 'Requests', openRequests: 'Open requests',
  newVisit: 'New visit', edit: 'Edit', save: 'Save', cancel: 'Cancel', phone: 'Phone', head: 'Head',
  address: 'Address', notes: 'Notes', noVisits: 'No visits yet', noRequests: 'No open requests',
  outcome: 'Outcome', checks: 'Health checks', check: 'Check', temperature: 'Temperature °C',
  symptoms: 'Symptoms', antigen: 'Antigen', bp: 'Blood pressure mmHg', systolic: 'Systolic', diastolic: 'Diastolic',
  spo2: 'SpO2 %', medication: 'Medication on hand', yes: 'Yes', no: 'No', needs: 'Needs', addNeed: '+ Add a need',
  detail: 'Detail', urgency: 'Urgency', raiseRequest: 'Raise a request', sla: 'Response', services: 'Services delivered',
  addService: 'Add', otherService: 'Other service', colourAfter: 'Colour after the visit',
  colourReason: 'Reason (required for yellow and red)', followUpOn: 'Follow-up date', tomorrow: 'Tomorrow',
  in3days: 'In 3 days', in7days: 'In a week', none: 'None', photo: 'Photo', takePhoto: 'Take / choose a photo',
  removePhoto: 'Remove photo', saveVisit: 'Save visit', fixErrors: 'Please fix these before saving:',
  saved: 'Saved; it goes to the server when online', remove: 'Remove', addMember: '+ Add a member',
  memberName: 'Name', birthYear: 'Birth year', gender: 'Gender', tags: 'Key population',
  online: 'Online', offline: 'Offline', syncing: 'Syncing…', synced: 'All uploaded', lastSync: 'Last sync {t}',
  neverSynced: 'Not synced yet', pending: '{n} waiting to upload', refused: '{n} refused', syncError: 'Sync error: {e}',
  authError: 'Sign-in expired; please sign in again', syncDetails: 'Sync details', pendingList: 'Waiting to upload',
  refusedList: 'Refused by the server', refusedBanner: 'Refused by the server: {r}', nothingPending: 'Nothing waiting',
  nothingRefused: 'Nothing refused', retryNow: 'Sync now', settings: 'Settings', language: 'Language',
  logout: 'Sign out', logoutConfirm: 'Signing out wipes the visit data on this tablet. Sign out?',
  logoutUnsynced: '{n} records are not on the server (refused ones included). Signing out deletes them from this tablet for good!',
  logoutAnyway: 'Sign out and delete', device: 'Device', user: 'Signed in as', version: 'Version',
  updateReady: 'A new version is ready', updateNow: 'Update now', visitOn: 'Visit on {d}', worker: 'Worker',
  noMembers: 'No members recorded', notChecked: 'not checked', visit: 'Visit', requestRaised: 'Request',
  gridCount: '{n} households · red {r} · yellow {y}', overdueCount: '{n} overdue', lang: '中文',
  visitDetail: 'Visit', loadingData: 'Downloading the grid from the server…', memberNotes: 'Member notes',
  checkMember: 'Check this member', status: 'Status', kind: 'Kind', openedAt: 'Opened', people: '{n} people', refusedHelp: 'These records stay on this tablet, and the server kept them in quarantine: ask your supervisor.', age: 'age {n}', householdDoc: 'Household', review: 'Supervisor review',
  warnings: 'Warnings', thisHousehold: 'Household', suggestColour: 'Suggests {c}', suggestReferral: 'Suggests a referral: {r}',
  acceptWarning: 'Accept', overrideWarning: 'Override', overrideReason: 'Why not (required)',
  decisionAccepted: 'Accepted', decisionOverridden: 'Overridden', acceptedHint: 'Marked {c}; a referral is made on saving',
  acceptedHintNoReferral: 'Marked {c}',
  rulesBroken: 'The warning rules are malformed: no automatic warnings on this visit',
  warningsPending: '{n} warnings to decide', decideWarning: 'Accept or override the warning: {r}',
  overrideNeedsReason: 'Say why the warning is overridden: {r}', rulesVersion: 'warning rules version {n}',
  referralTo: 'Referred to {r}', nextStatus: 'Mark {s}', closeRequest: 'Close', closedRequests: 'Closed',
  satisfactionAsk: 'Ask the resident whether they are satisfied', satisfactionComment: 'Their comment (optional)',
  satisfactionNeeded: 'Choose how satisfied the resident is', confirmClose: 'Close it', statusSaved: 'Updated; it goes to the server when online',
  notices: 'Notices', noNotices: 'No notices', unread: 'unread', read: 'read', publishedBy: '{who}, {t}',
  expiresAt: 'until {t}', noticeRead: 'Read; the receipt goes to the server when online', priority: 'Priority',
  todo: 'To do', todoReferrals: 'Referrals', todoRequests: 'Other requests', todoEmpty: 'No households due a visit, no open referrals or requests',
  todoVisits: 'Due a visit', todoSummaryVisits: '{v} due a visit', lastVisitAgo: 'last visit {d} ago',
  todoSummary: '{r} referrals · {q} requests', waited: 'waited {d}', minutes: '{n} min', hours: '{n} h', days: '{n} days',
  drafts: 'Unfinished visits', draftSavedAt: 'Draft kept {t}', draftOf: 'last edited {t}', resumeDraft: 'Resume',
  resumeVisit: 'Resume the unfinished visit', discardDraft: 'Discard draft', draftResumed: 'Unfinished visit resumed ({t})',
  discardDraftConfirm: 'Discard this unfinished visit? What was typed is deleted for good.', draftDiscarded: 'Draft discarded',
  leaveDraft: 'This visit is not saved yet. What you typed is kept as a draft: resume it from the household or the home screen.',
  keepDraftLeave: 'Keep the draft, go', stayOnForm: 'Keep typing', draftHelp: 'Drafts stay on this tablet; a visit is uploaded once saved',
  logoutDrafts: '{n} unfinished visits (drafts live on this tablet only) are deleted too!',
  refusedDoc: 'Refused record', refusedFlag: 'refused', refusedAt: 'refused by the server {t}', refusedWhy: 'Why',
  notRefusedNow: 'This record is not refused now (corrected and sent again, or discarded)',
  refusedFixHelp: 'Correct it and send it again, or discard it (deleted from this tablet; the server never gets it).',
  refusedDiscardHelp: 'This record cannot be corrected on the tablet, only discarded (deleted from this tablet). Ask your supervisor if unsure.',
  discardRefused: 'Discard this record', fixRefused: 'Correct and send again', refusedDiscarded: 'Discarded',
  discardRefusedConfirm: 'Discarding deletes this record from this tablet; the server never gets it. Discard?',
  fixVisit: 'Correct a refused visit', resent: 'Corrected; it is sent again when online', leave: 'Leave',
  leaveFix: 'Leaving loses these corrections (the refused record stays on this tablet). Leave?',
  building: 'Building', unit: 'Unit', room: 'Room', newHousehold: 'New household',
  householdAdded: 'Household added; it goes to the server when online',
  syncRetrying: 'Sync failed; retrying automatically', syncTrouble: 'Sync failing', syncTimes: 'last try {last}, next {next}',
  sync_server: 'server error', sync_unreachable: 'server unreachable',
  memberStatus: 'Member status', householdStatus: 'Household status', movedOutFlag: 'moved out',
  channel: 'Contact', remoteNote: 'On a phone, WeChat or video contact readings are optional; tick a member to enter what they report',
  todoFollowUps: 'Follow-ups due', lastVisit: 'last visit', todoSummaryFollow: '{n} follow-ups',
  todoSentBack: 'Sent back', amendVisit: 'Amend visit', amendSaved: 'Amendment saved; it goes to the supervisor when online',
  amendHelp: 'Saving records a new visit; the original is kept', leaveAmend: 'Leaving loses this amendment. Leave?',
  amendedBy: 'amended', amendsVisit: 'Amends the visit of {d}', amendedAt: 'Amended {d}, waiting for review',
  reviewClosed: 'Closed: the amendment was approved', todoSummaryBack: '{n} sent back',
  colon: ': ', listSep: ', ', clauseSep: '; ', plus: '+', loading: 'Loading…',
  syncRetryingWith: 'Sync failed; retrying automatically ({what}; {when})',
  mergeNoticeTitle: 'A merge changed what you entered', mergeBy: 'kept the edit of {who}', mergeRule: 'rule: {rule}',
  mergeRule_most_severe: 'most severe colour', mergeRule_newest_stamp: 'newest edit', mergeRule_winner: 'winning revision',
  draftKind_visit: 'Unfinished visit', draftKind_edit: 'Unsaved household edit', draftKind_new: 'Unsaved new household',
  draftKind_answer: 'Unfinished answers', campaigns: 'Campaigns', campaignProgress: '{name} {done}/{total} households',
  campaignUntil: 'until {d}', campaignPending: '{n} households to ask', contactAnswer: 'phone/WeChat contact',
  newContactAnswer: '+ Phone/WeChat answers', fillAnswer: 'Answer', answeredAt: 'answered {t}',
  saveAnswer: 'Save answers', answerSaved: 'Answers saved; they upload when there is a network', answerErrors: '{n} question(s) still need fixing',
  answerChannel: 'Channel', answerGrid: 'Grid', answerFor: 'Asked about', leaveAnswerDraft: 'The answers are not saved yet. What you entered is kept as a draft: resume it from To do or the household page.',
  discardAnswerConfirm: 'Discard these unfinished answers? What was entered is deleted for good.', answerResumed: 'Unfinished answers restored ({t})',
  formVersion: 'form version {n}', campaignClosed: 'This campaign has ended or its form is not on this tablet yet', formFailed: 'The form cannot be opened: {e}',
  contactAnswers: '{n} phone/WeChat answer(s)', campaignMore: '{n} more', todoSummaryCampaigns: '{n} campaign households',
  engineAdd: 'Add', engineRemove: 'Remove', engineRepeatItem: 'Repeat item', engineSend: 'Send',
  engineChangeLanguage: 'Change language', engineRequired: 'This question needs an answer',
  engineConstraint: 'This answer is not allowed',
  engineDayNames: 'Sunday,Monday,Tuesday,Wednesday,Thursday,Friday,Saturday',
  engineDayNamesShort: 'Sun,Mon,Tue,Wed,Thu,Fri,Sat', engineDayNamesMin: 'Su,Mo,Tu,We,Th,Fr,Sa',
  engineMonthNames: 'January,February,March,April,May,June,July,August,September,October,November,December',
  engineMonthNamesShort: 'Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec',
  engineToday: 'Today', engineClear: 'Clear', engineChooseDate: 'Choose date', engineChooseYear: 'Choose year',
  engineChooseMonth: 'Choose month', enginePrevMonth: 'Previous month', engineNextMonth: 'Next month',
  enginePrevYear: 'Previous year', engineNextYear: 'Next year', engineWeekHeader: 'Wk',
  engineNoOptions: 'No options', engineNoResults: 'No results found',
  leaveFormDraft: 'The household is not saved yet. What you typed is kept as a draft: resume it from the household or the home screen.',
  formDraftResumed: 'Unsaved input restored ({t})',
  discardFormDraftConfirm: 'Discard this unsaved household input? What was typed is deleted for good.',
  mergeMemberField: "{who}'s {field}", mergeMemberName: 'name',
  mergeCleared: '(empty)', mergeNoticeHelp: 'If it is wrong, edit the household; the notice goes away after the next edit',
  locked: 'Locked', unlock: 'Unlock', pin: 'PIN', pinAgain: 'PIN again',
  pinSetTitle: 'Set a PIN', pinSetHelp: "This tablet's data is encrypted. Set a 6-digit PIN: it unlocks the app after a pause or a restart (no network needed).",
  pinSetSave: 'Set and start', pinRule: 'The PIN must be 6 digits', pinMismatch: 'The two PINs differ',
  pinWrong: 'Wrong PIN: {n} tries left', pinHelp: 'Enter your PIN to unlock', pinChecking: 'Unlocking…',
  pinTooMany: 'Too many wrong PINs. Go online and sign in with your full password, then set a new PIN.',
  pinWiped: "Too many wrong PINs: as the community decided, this tablet's data was erased. Sign in again online.",
  forgotPin: 'Forgot the PIN? Sign in with the password (online)',
  sealing: "Encrypting this tablet's data…", sealAgain: "To protect residents' personal data this tablet's data must be encrypted: go online and sign in again with your password.",
  keyMismatch: "Your password changed: enter this tablet's PIN once so the new password can protect its data.",
  keyLost: "This tablet's data is encrypted under the old password and its PIN is disabled: it cannot be opened. Ask your supervisor.",
  wipePushing: 'This tablet was revoked: uploading what has not been synced…',
  wipeTitle: 'This tablet’s data was erased',
  wipeBody: 'A supervisor revoked this tablet (for example, it was lost). Its unsent visits were uploaded first; the households, visits and sign-in kept on it are all erased.',
  wipeAgain: 'To use it again, ask your supervisor and sign in again.', tapToShow: 'tap to show',
  idNumber: 'ID number', idBirthYear: 'The ID number says born in {id}, the birth year says {given}: please check (it can be saved)',
};

const VALUE_EN = {
  green: 'green', yellow: 'yellow', red: 'red', male: 'male', female: 'female', other: 'other',
  over65: 'over 65', elderly_alone: 'elderly alone', chronic: 'chronic disease', pregnant: 'pregnant',
  disabled: 'disabled', immunocompromised: 'immunocompromised', met: 'met', not_home: 'not home',
  door: 'at the door', phone: 'phone', wechat: 'WeChat', video: 'video call',
  present: 'lives here', deceased: 'deceased', active: 'lives here', moved_out: 'moved out',
  refused: 'refused', moved: 'moved', fever: 'fever', cough: 'cough', sore_throat: 'sore throat',
  short_breath: 'short of breath', fatigue: 'fatigue', diarrhea: 'diarrhoea', negative: 'negative',
  positive: 'positive', not_tested: 'not tested', medicine: 'medicine', groceries: 'groceries',
  doctor: 'doctor', referral: 'referral', repair: 'repair', psychological: 'someone to talk to',
  complaint: 'complaint', low: 'low', normal: 'normal', high: 'high', urgent: 'urgent',
  onsite_5m: 'on site in 5 min', fix_20m: 'fixed in 20 min', plan_2d: 'plan in 2 days', open: 'open',
  assigned: 'assigned', in_progress: 'in progress', resolved: 'resolved', closed: 'closed',
  draft: 'draft', submitted: 'submitted', pending: 'pending review', approved: 'approved',
  needs_fix: 'sent back', rejected: 'rejected', referred: 'referred', accepted: 'accepted', seen: 'seen',
  family_doctor: 'family doctor', community_health_centre: 'community health centre', hospital: 'hospital',
  satisfied: 'satisfied', basically_satisfied: 'fairly satisfied', dissatisfied: 'dissatisfied',
  important: 'important', overridden: 'overridden',
  grid: 'grid', community: 'community', everyone: 'everyone',
};


/** Every table of words, for the tests that hold both languages complete. */
export const WORDS = { zh: ZH, en: EN, valueZh: VALUE_ZH, valueEn: VALUE_EN };

let lang = localStorage.getItem('gv.lang') === 'en' ? 'en' : 'zh';

/** The current language: 'zh' or 'en'. */
export const currentLang = () => lang;

/** Switch the language (kept on the tablet). */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh';
  localStorage.setItem('gv.lang', lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
}

const fill = (text, params) => text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));

/** The text of key in the current language, {name} filled from params. */
export function t(key, params = {}) {
  return fill((lang === 'en' ? EN : ZH)[key] ?? ZH[key] ?? key, params);
}

/** The name of an enum value ('red' → 红 / red). */
export const v = (value) => (lang === 'en' ? VALUE_EN : VALUE_ZH)[value] ?? value;

/** The text of key in both languages: {zh, en} (what a form error carries). */
export const both = (key, params = {}) =>
  ({ zh: fill(ZH[key] ?? key, params), en: fill(EN[key] ?? ZH[key] ?? key, params) });

/**
 * A server's reason in the current language: the server says "中文 / English"
 * (each problem of a "; "-separated list); a reason in one language stays whole.
 */
export const said = (reason = '') => String(reason).split('; ').map((part) => {
  const at = part.indexOf(' / ');
  if (at < 0) return part;
  return lang === 'en' ? part.slice(at + 3) : part.slice(0, at);
}).join(lang === 'en' ? '; ' : '；');

/** A validation error's message in the current language. */
export const msg = (error) => (lang === 'en' ? error.en : error.zh);
