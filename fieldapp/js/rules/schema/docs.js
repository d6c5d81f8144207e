// The schema of each field document: the twin of rules/schemas/{household,visit,
// request,review,grid,notice,receipt,sendback,erasure,rules}.py, with the same rules, field paths
// and rule names; ids and the common fields are base.js's, answers answer.js's.

import {
  Bool, Choice, DateF, DateTime, ListOf, Num, Obj, Text, base64Length, child,
  isBlank, isObject, push,
} from './fields.js';
import { answer } from './answer.js';
import { problem as idProblem } from '../idnumber.js';
import {
  COMMON, SHARED, documentSchema, parseId, prefixKind, sameGridId,
} from './base.js';
import { condition } from './rules.js';
import {
  ANTIGEN, AUDIENCES, CHANNELS, COLOURS, DECISIONS, GENDERS, HOUSEHOLD_STATUSES, MEMBER_STATUSES,
  NEED_KINDS, NOTICE_PRIORITIES, OUTCOMES, PHOTO_TYPES, REFERRAL_STATUSES, REFERRAL_TARGETS,
  REQUEST_KINDS, REQUEST_STATUSES, REVIEW_STATES, SATISFACTION, SLAS, SYMPTOMS, TAGS, URGENCIES,
  VISIT_STATUSES, lifecycle,
} from '../vocabulary.js';

// The vocabulary's words, where the screens have always found them.
export {
  ANTIGEN, AUDIENCES, CHANNELS, COLOURS, DECISIONS, GENDERS, HOUSEHOLD_STATUSES, MEMBER_STATUSES,
  NEED_KINDS, NOTICE_PRIORITIES, OUTCOMES, PHOTO_TYPES, REFERRAL_STATUSES, REFERRAL_TARGETS,
  REQUEST_KINDS, REQUEST_STATUSES, REVIEW_STATES, SATISFACTION, SLAS, SYMPTOMS, TAGS, URGENCIES,
  VISIT_STATUSES,
};
/** The statuses a request of kind moves through, in order. */
export const statusesFor = lifecycle;
export const PHOTO_MAX_BYTES = 5 * 1024 * 1024;
const PHONE = /^[0-9 +-]+$/;

const colourReason = (colourField) => (raw, data, ctx, loc, errs) => {
  if (isBlank(raw.colour_reason) && ['yellow', 'red'].includes(raw[colourField])) {
    push(errs, child(loc, 'colour_reason'), 'required', { when: 'colour' });
  }
};

// A resident ID number (rules/schemas/household.py IdNumber, ../idnumber.js).
const idNumber = (v, ctx, loc, errs) => {
  if (typeof v !== 'string') return push(errs, loc, 'type', { kind: 'string' });
  const rule = idProblem(v, ctx.nowMs);
  return rule ? push(errs, loc, rule, rule === 'format' ? { kind: 'id_number' } : {}) : [true, v];
};
idNumber.required = false;

const MEMBER = {
  fields: {
    id: Text({ required: true, min: 1, max: 64 }),
    name: Text({ required: true, min: 1, max: 64 }),
    birth_year: Num({ min: 1900, max: (ctx) => ctx.year, integer: true }),
    id_number: idNumber,
    gender: Choice(GENDERS),
    tags: ListOf(Choice(TAGS), { max: TAGS.length, unique: true }),
    notes: Text({ max: 500 }),
    status: Choice(MEMBER_STATUSES),
  },
};

// What the latest merge replaced (rules/schemas/household.py MergeRecordSchema).
const LOST_VALUE = {
  fields: {
    value: Text({ max: 2000 }), user: Text({ min: 1, max: 64 }), device: Text({ min: 1, max: 64 }),
  },
};
const MERGED_FIELD = {
  fields: {
    field: Text({ required: true, min: 1, max: 100 }),   // "phone", "members.{id}.name"
    rule: Choice(['newest_stamp', 'most_severe', 'winner'], { required: true }),
    value: Text({ max: 2000 }),
    user: Text({ min: 1, max: 64 }),
    device: Text({ min: 1, max: 64 }),
    lost: ListOf(Obj(LOST_VALUE), { required: true, max: 20 }),
  },
};
const MERGE_RECORD = {
  fields: {
    at: Text({ max: 64 }),
    fields: ListOf(Obj(MERGED_FIELD), { required: true, max: 20 }),
  },
};

const household = documentSchema({
  building: Text({ required: true, min: 1, max: 32 }),
  unit: Text({ max: 16 }),
  room: Text({ required: true, min: 1, max: 16 }),
  address: Text({ max: 200 }),
  head: Text({ max: 64 }),
  phone: Text({ min: 5, max: 20, pattern: PHONE, fmt: 'phone' }),
  members: ListOf(Obj(MEMBER), { max: 30, uniqueBy: 'id' }),
  colour: Choice(COLOURS, { required: true }),
  colour_reason: Text({ max: 500 }),
  notes: Text({ max: 2000 }),
  status: Choice(HOUSEHOLD_STATUSES),
  merge: Obj(MERGE_RECORD),
}, { stamped: true, cross: colourReason('colour') });

const schema2Only = (v, ctx) => (ctx.version < 2 ? ['version', {}] : null);

const CHECK = {
  fields: {
    member: Text({ required: true, min: 1, max: 64 }),
    temperature: Num({ min: 34, max: 43, unit: ' °C' }),
    symptoms: ListOf(Choice(SYMPTOMS), { max: SYMPTOMS.length, unique: true }),
    antigen: Choice(ANTIGEN),
    bp_systolic: Num({ min: 60, max: 260, unit: ' mmHg' }),
    bp_diastolic: Num({ min: 30, max: 160, unit: ' mmHg' }),
    spo2: Num({ min: 50, max: 100, unit: '%', validate: schema2Only }),
    medication_on_hand: Bool(),
  },
  cross(raw, data, ctx, loc, errs) {
    const high = data.bp_systolic, low = data.bp_diastolic;
    if (high != null && low != null && low >= high) push(errs, child(loc, 'bp_diastolic'), 'below_systolic');
  },
};

const WARNING = {
  fields: {
    rule: Text({ required: true, min: 1, max: 64 }),
    member: Text({ max: 64 }),
    colour: Choice(COLOURS, { required: true }),
    referral: Choice(REFERRAL_TARGETS),
    reason: Text({ required: true, min: 1, max: 500 }),
    decision: Choice(DECISIONS, { required: true }),
    override_reason: Text({ min: 1, max: 500 }),
  },
  cross(raw, data, ctx, loc, errs) {
    if (raw.decision === 'overridden' && raw.override_reason == null) {
      push(errs, child(loc, 'override_reason'), 'required', { when: 'override' });
    } else if (raw.decision === 'accepted' && raw.override_reason != null) {
      push(errs, child(loc, 'override_reason'), 'only_when', { when: 'override' });
    }
  },
};

const NEED = {
  fields: { kind: Choice(NEED_KINDS, { required: true }), detail: Text({ max: 500 }), urgency: Choice(URGENCIES) },
};

// _attachments: JPEG or PNG photos of at most 5 MB each.
const photos = (v, ctx, loc, errs) => {
  if (!isObject(v)) return push(errs, loc, 'type', { kind: 'object' });
  const before = errs.length;
  for (const [name, att] of Object.entries(v)) {
    const here = child(loc, name);
    if (!isObject(att)) { push(errs, here, 'format', { kind: 'attachment' }); continue; }
    const media = typeof att.content_type === 'string'
      ? att.content_type.split(';')[0].trim().toLowerCase() : null;
    if (!PHOTO_TYPES.includes(media)) { push(errs, here, 'content_type'); continue; }
    let size = null;
    if (att.data != null) {
      size = typeof att.data === 'string' ? base64Length(att.data) : null;
      if (size === null) { push(errs, here, 'format', { kind: 'base64' }); continue; }
    } else if (Number.isInteger(att.length)) size = att.length;
    if (size !== null && size > PHOTO_MAX_BYTES) push(errs, here, 'file_size');
  }
  return errs.length === before ? [true, v] : [false];
};
photos.required = false;

const visit = documentSchema({
  _attachments: photos,
  household: Text({ required: true, max: 200, validate: sameGridId('household', 'household_id') }),
  visited_at: DateTime({ required: true }),
  worker: Text({ required: true, min: 1, max: 64 }),
  outcome: Choice(OUTCOMES, { required: true }),
  checks: ListOf(Obj(CHECK), { max: 30, uniqueBy: 'member' }),
  needs: ListOf(Obj(NEED), { max: 20 }),
  services: ListOf(Text({ min: 1, max: 200 }), { max: 20 }),
  colour_after: Choice(COLOURS, { required: true }),
  colour_reason: Text({ max: 500 }),
  follow_up_on: DateF(),
  notes: Text({ max: 2000 }),
  status: Choice(VISIT_STATUSES),
  warnings: ListOf(Obj(WARNING), { max: 20, validate: schema2Only }),
  rules_version: Num({ min: 1, max: 1e9, integer: true, validate: schema2Only }),
  supersedes: Text({ max: 200, validate: sameGridId('visit', 'visit_id') }),
  channel: Choice(CHANNELS),
}, {
  cross(raw, data, ctx, loc, errs) {
    colourReason('colour_after')(raw, data, ctx, loc, errs);
    if (OUTCOMES.slice(1).includes(raw.outcome) && Array.isArray(raw.checks) && raw.checks.length) {
      push(errs, child(loc, 'checks'), 'only_when_met');
    }
    // The visit's date is the date written in visited_at, in its own offset.
    if (data.visited_at && data.follow_up_on && data.follow_up_on < data.visited_at.date) {
      push(errs, child(loc, 'follow_up_on'), 'not_before_visit');
    }
  },
});

// status: one of the statuses of the request's kind.
const status = (v, ctx, loc, errs, raw) => {
  const statuses = statusesFor(raw.kind);
  return typeof v !== 'boolean' && statuses.includes(v) ? [true, v] : push(errs, loc, 'enum', { choices: statuses });
};
status.required = false;

// status_times: {status: date-time}, statuses of the request's kind.
const moment = DateTime({ required: true });
const statusTimes = (v, ctx, loc, errs, raw) => {
  if (!isObject(v)) return push(errs, loc, 'type', { kind: 'object' });
  const before = errs.length;
  const statuses = statusesFor(raw.kind);
  for (const [status, at] of Object.entries(v)) {
    const here = child(loc, status);
    if (!statuses.includes(status)) push(errs, here, 'enum', { choices: statuses });
    else if (at === null) push(errs, here, 'required');
    else moment(at, ctx, here, errs);
  }
  return errs.length === before ? [true, v] : [false];
};
statusTimes.required = false;

const request = documentSchema({
  household: Text({ required: true, max: 200, validate: sameGridId('household', 'household_id') }),
  visit: Text({ max: 200, validate: sameGridId('visit', 'visit_id') }),
  kind: Choice(REQUEST_KINDS),
  detail: Text({ required: true, min: 1, max: 1000 }),
  urgency: Choice(URGENCIES),
  sla: Choice(SLAS),
  status,
  status_times: statusTimes,
  assignee: Text({ min: 1, max: 64 }),
  opened_at: DateTime({ required: true }),
  target: Choice(REFERRAL_TARGETS),
  target_name: Text({ max: 100 }),
  member: Text({ max: 64 }),
  rule: Text({ max: 64 }),
  satisfaction: Choice(SATISFACTION),
  satisfaction_comment: Text({ max: 500 }),
  satisfaction_at: DateTime(),
}, {
  stamped: true,
  cross(raw, data, ctx, loc, errs) {
    if (raw.kind === 'referral') {
      if (raw.target == null) push(errs, child(loc, 'target'), 'required', { when: 'referral' });
    } else {
      for (const name of ['target', 'target_name']) {
        if (raw[name] != null) push(errs, child(loc, name), 'only_when', { when: 'referral' });
      }
    }
    if (raw.satisfaction != null) {
      if (raw.status !== 'closed') push(errs, child(loc, 'satisfaction'), 'only_when', { when: 'closed' });
    } else {
      for (const name of ['satisfaction_comment', 'satisfaction_at']) {
        if (raw[name] != null) push(errs, child(loc, name), 'only_when', { when: 'satisfaction' });
      }
    }
  },
});

const review = documentSchema({
  visit: Text({ required: true, max: 200, validate: (v, ctx) => {
    const expected = ctx.docId.slice('review:'.length);
    return v !== expected ? ['matches_id', { expected }] : null;
  } }),
  state: Choice(REVIEW_STATES, { required: true }),
  comment: Text({ max: 1000 }),
  reviewer: Text({ min: 1, max: 64 }),
  reviewed_at: DateTime(),
  closed_by: Text({ max: 200, validate: sameGridId('visit', 'visit_id') }),
}, {
  cross(raw, data, ctx, loc, errs) {
    if (isBlank(raw.comment) && ['needs_fix', 'rejected'].includes(raw.state)) {
      push(errs, child(loc, 'comment'), 'required', { when: 'review' });
    }
  },
});

const grid = documentSchema({
  name: Text({ required: true, min: 1, max: 64 }),
  community: Text({ min: 1, max: 64 }),
  community_name: Text({ min: 1, max: 64 }),
  street: Text({ min: 1, max: 64 }),
  street_name: Text({ min: 1, max: 64 }),
});

const AUDIENCE = {
  fields: { kind: Choice(AUDIENCES, { required: true }), id: Text({ min: 1, max: 64 }) },
  cross(raw, data, ctx, loc, errs) {
    const here = child(loc, 'id');
    if (raw.kind === 'everyone' && raw.id != null) push(errs, here, 'only_when', { when: 'audience' });
    else if (['grid', 'community'].includes(raw.kind) && raw.id == null) push(errs, here, 'required', { when: 'audience' });
    else if (raw.kind === 'grid' && typeof raw.id === 'string' && raw.id !== ctx.grid) {
      push(errs, here, 'matches_id', { expected: ctx.grid });
    }
  },
};

const notice = documentSchema({
  title: Text({ required: true, min: 1, max: 100 }),
  body: Text({ required: true, min: 1, max: 2000 }),
  priority: Choice(NOTICE_PRIORITIES, { required: true }),
  audience: Obj(AUDIENCE, { required: true }),
  published_by: Text({ required: true, min: 1, max: 64 }),
  published_by_name: Text({ max: 64 }),
  published_at: DateTime({ required: true }),
  expires_at: DateTime({ future: true }),
}, {
  cross(raw, data, ctx, loc, errs) {
    if (data.published_at && data.expires_at && data.expires_at.ms <= data.published_at.ms) {
      push(errs, child(loc, 'expires_at'), 'after_published');
    }
  },
});

const receipt = documentSchema({
  notice: Text({ required: true, max: 200, validate: sameGridId('notice', 'notice_id') }),
  reader: Text({ required: true, min: 1, max: 64 }),
  read_at: DateTime({ required: true }),
});

// A refused document a supervisor sent back to its worker (隔离区 → 待办).
const sendback = documentSchema({
  doc_id: Text({ required: true, min: 1, max: 200 }),
  refused_rev: Text({ max: 200 }),
  worker: Text({ required: true, min: 1, max: 64 }),
  reason: Text({ required: true, min: 1, max: 2000 }),
  paths: ListOf(Text({ min: 1, max: 200 }), { max: 50 }),
  note: Text({ required: true, min: 1, max: 1000 }),
  refused_at: DateTime({ required: true }),
  sent_by: Text({ required: true, min: 1, max: 64 }),
  sent_by_name: Text({ max: 64 }),
  sent_at: DateTime({ required: true }),
  status: Choice(['open', 'resolved'], { required: true }),
  resolved_at: DateTime(),
});

// An erasure notice: what the tablet must purge (ids only, never a person).
const erasure = documentSchema({
  household: Text({ required: true, min: 1, max: 200 }),
  member: Text({ max: 64 }),
  purged: ListOf(Text({ min: 1, max: 200 }), { required: true, max: 5000 }),
  rewritten: ListOf(Text({ min: 1, max: 200 }), { required: true, max: 5000 }),
  erased_at: DateTime({ required: true }),
});

const RULE = {
  fields: {
    id: Text({ required: true, min: 1, max: 64 }),
    colour: Choice(COLOURS, { required: true }),
    referral: Choice(REFERRAL_TARGETS),
    reason: Obj({ fields: { zh: Text({ required: true, min: 1, max: 500 }), en: Text({ required: true, min: 1, max: 500 }) } },
      { required: true }),
    when: condition,
  },
};

// A rule set has no grid: it lives in the shared partition.
const { grid: _noGrid, ...UNGRIDDED } = COMMON;
const rules = {
  fields: {
    ...UNGRIDDED,
    version: Num({ required: true, min: 1, max: 1e9, integer: true }),
    rules: ListOf(Obj(RULE), { required: true, max: 50, uniqueBy: 'id' }),
  },
  skipUnderscore: true,
};

export const SCHEMAS = {
  grid, household, visit, request, review, notice, receipt, sendback, erasure, rules, answer,
};
export { SHARED, parseId, prefixKind };
