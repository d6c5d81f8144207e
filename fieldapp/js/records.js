// The documents the tablet writes (docs/documents.md): visits (immutable,
// "submitted" when saved) with the early warnings decided on them, requests
// and referrals raised on them, request status changes, household edits —
// households and requests always stamped (stampEdit) so the server can merge —
// read receipts of notices, and campaign answers (immutable, like visits).

import { session } from './api.js';
import { db, saveAll, stamp } from './db.js';
import { noteSaved } from './store.js';
import { recount } from './sync.js';
import { jsonEqual } from './rules/stamps.js';
import { localIso, uuid } from './ui.js';
import { validate } from './rules/validate.js';

const SLA_BY_URGENCY = { urgent: 'onsite_5m', high: 'fix_20m', normal: 'plan_2d', low: 'plan_2d' };
// A referral suggested by a red warning is urgent; by any other, high.
const referralUrgency = (colour) => (colour === 'red' ? 'urgent' : 'high');

/** The SLA a need of this urgency gets unless the worker picks another. */
export const defaultSla = (urgency) => SLA_BY_URGENCY[urgency] || 'plan_2d';

function common(type, grid, now) {
  const s = session();
  return { type, schema: 2, grid, updated_at: now, updated_by: s.user.name, device: s.device };
}

// Validate and save docs, index them, recount what waits; returns validation errors.
async function write(docs) {
  const errors = await saveAll(docs);
  if (!errors.length) noteSaved(docs);
  recount();
  return errors;
}

/** A household or request edited: fields replaced by changes, stamped against the stored one. */
export function edited(old, changes, now = localIso()) {
  const next = { ...structuredClone(old), ...changes, ...common(old.type, old.grid, now) };
  delete next.merge;          // it tells the latest merge only: an edit after it supersedes it
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined || value === '' || value === null) delete next[key];
  }
  return stamp(old, next, session().device);
}

// Members as edited on top of base, applied to current: added, removed and
// changed fields only, so what a sync brought meanwhile is kept.
function rebaseMembers(base = [], edited = [], current = []) {
  const byId = (list) => new Map((list || []).filter(Boolean).map((m) => [m.id, m]));
  const b = byId(base), e = byId(edited), out = byId(current);
  for (const id of b.keys()) if (!e.has(id)) out.delete(id);
  for (const [id, m] of e) {
    if (!b.has(id)) { out.set(id, m); continue; }
    if (!out.has(id)) continue;                          // removed meanwhile elsewhere
    const merged = { ...out.get(id) };
    for (const key of new Set([...Object.keys(b.get(id)), ...Object.keys(m)])) {
      if (jsonEqual(b.get(id)[key], m[key])) continue;
      if (m[key] === undefined) delete merged[key]; else merged[key] = m[key];
    }
    out.set(id, merged);
  }
  return [...out.values()];
}

/** Only what the person changed on the form (opened on base), applied to current. */
export function rebase(base, changes, current) {
  const out = {};
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'members') {
      if (!jsonEqual(base.members ?? [], value)) out.members = rebaseMembers(base.members, value, current.members);
    } else if (!jsonEqual(base[key], value)) {
      out[key] = value;
    }
  }
  return out;
}

/** Save a household added here (stamped as new); returns validation errors ([] when saved). */
export function addHousehold(grid, fields) {
  const s = session();
  const doc = { ...fields, ...common('household', grid, localIso()) };
  for (const [key, value] of Object.entries(doc)) {
    if (value === undefined || value === '' || value === null) delete doc[key];
  }
  if (!doc.members?.length) delete doc.members;
  return write([stamp(null, doc, s.device)]);
}

/** Save a household edit made on base; returns validation errors ([] when saved). */
export async function saveHousehold(base, changes) {
  const current = await db().get(base._id);          // a sync may have brought a newer revision
  const edits = rebase(base, changes, current);
  if (!Object.keys(edits).length) return [];
  return write([edited(current, edits)]);
}

// One referral per accepted warning whose rule suggests one.
function referrals(hh, visit, now, device) {
  const names = new Map((hh.members || []).filter(Boolean).map((m) => [m.id, m.name]));
  const made = new Set(visit.skipReferrals || []);       // an amendment's were made with the original
  return (visit.warnings || []).filter((w) => w.decision === 'accepted' && w.referral
    && !made.has(`${w.rule}|${w.member ?? ''}`)).map((w) => {
    const urgency = referralUrgency(w.colour);
    const doc = {
      _id: `request:${hh.grid}:${uuid()}`, ...common('request', hh.grid, now),
      household: hh._id, visit: visit._id, kind: 'referral', target: w.referral,
      detail: (w.member ? `${names.get(w.member) || w.member}：${w.reason}` : w.reason).slice(0, 1000),
      urgency, sla: defaultSla(urgency), status: 'referred', status_times: { referred: now },
      opened_at: now, rule: w.rule,
    };
    if (w.member) doc.member = w.member;
    return stamp(null, doc, device);
  });
}

/**
 * The documents of one visit: the visit (status "submitted"), one request per
 * need marked for it, one referral per accepted warning that suggests one,
 * and the household when the visit changed its colour.
 * form = {outcome, checks, needs: [{kind, detail, urgency, request, sla}],
 * services, colour_after, colour_reason, follow_up_on, notes, photo,
 * warnings: [{rule, member, colour, referral, reason, decision, override_reason}],
 * rules_version, supersedes (the sent-back visit it amends), skipReferrals
 * (keys "rule|member" whose referral the amended visit already made)}.
 */
export function visitDocs(hh, form, now = localIso()) {
  const s = session();
  const visit = {
    _id: `visit:${hh.grid}:${uuid()}`, ...common('visit', hh.grid, now),
    household: hh._id, visited_at: now, worker: s.user.name, channel: form.channel || 'door',
    outcome: form.outcome,
  };
  if (form.outcome === 'met' && form.checks.length) visit.checks = form.checks;
  const needs = form.needs.map(({ kind, detail, urgency }) =>
    Object.fromEntries(Object.entries({ kind, detail, urgency }).filter(([, x]) => x)));
  if (needs.length) visit.needs = needs;
  if (form.services.length) visit.services = form.services;
  visit.colour_after = form.colour_after;
  for (const key of ['colour_reason', 'follow_up_on', 'notes']) if (form[key]) visit[key] = form[key];
  if (form.warnings?.length) visit.warnings = form.warnings;
  if (form.rules_version) visit.rules_version = form.rules_version;
  visit.status = 'submitted';
  if (form.photo) {
    visit._attachments = { 'photo-1.jpg': { content_type: 'image/jpeg', data: form.photo } };
  }
  const requests = form.needs.filter((n) => n.request).map((n) => stamp(null, {
    _id: `request:${hh.grid}:${uuid()}`, ...common('request', hh.grid, now),
    household: hh._id, visit: visit._id, kind: n.kind,
    detail: n.detail?.trim() || n.kind, urgency: n.urgency || 'normal',
    sla: n.sla || defaultSla(n.urgency), status: 'open', status_times: { open: now }, opened_at: now,
  }, s.device));
  if (form.supersedes) visit.supersedes = form.supersedes;
  const docs = [visit, ...requests, ...referrals(hh, { ...visit, skipReferrals: form.skipReferrals }, now, s.device)];
  const colourChanged = form.colour_after && (form.colour_after !== hh.colour
    || (form.colour_after !== 'green' && form.colour_reason && form.colour_reason !== hh.colour_reason));
  if (colourChanged) {
    const changes = { colour: form.colour_after, colour_reason: form.colour_after === 'green' ? undefined : form.colour_reason };
    docs.push(edited(hh, changes, now));
  }
  return docs;
}

/**
 * Save a visit and what comes with it; returns validation errors ([] when
 * saved). With problems (warnings not yet decided) nothing is saved: they
 * are returned with whatever else is wrong with the visit.
 */
export async function saveVisit(hh, form, problems = []) {
  const fresh = await db().get(hh._id);          // stamp against what is stored now
  const docs = visitDocs(fresh, form);
  if (problems.length) return [...problems, ...validate(docs[0]).filter((e) => !e.field.startsWith('warnings'))];
  return write(docs);
}

/**
 * Save a corrected revision of visit old (the server refused it): same id and
 * visit time, the form's content, nothing else (its requests and referrals
 * went on their own). Returns validation errors ([] when saved).
 */
export async function resendVisit(old, hh, form, problems = []) {
  const [fresh] = visitDocs(hh, form);
  const fixed = { ...fresh, _id: old._id, _rev: old._rev, visited_at: old.visited_at, worker: old.worker };
  if (problems.length) return [...problems, ...validate(fixed).filter((e) => !e.field.startsWith('warnings'))];
  return write([fixed]);
}

/**
 * Move request id to status (a later one of its kind's flow); answer =
 * {satisfaction, comment} is the resident's, asked when it closes.
 * Returns validation errors ([] when saved).
 */
export async function moveRequest(id, status, answer = null) {
  const current = await db().get(id);
  const now = localIso();
  const changes = { status, status_times: { ...(current.status_times || {}), [status]: now } };
  if (answer?.satisfaction) {
    Object.assign(changes, { satisfaction: answer.satisfaction, satisfaction_at: now });
    if (answer.comment) changes.satisfaction_comment = answer.comment;
  }
  return write([edited(current, changes, now)]);
}

/** Record that the signed-in worker read notice ids (the caller leaves out those already read). */
export async function markRead(ids) {
  const s = session();
  const now = localIso();
  const docs = ids.map((id) => {
    const grid = id.split(':')[1];
    return { _id: `receipt:${grid}:${uuid()}`, ...common('receipt', grid, now),
      notice: id, reader: s.user.name, read_at: now };
  });
  if (!docs.length) return [];
  return write(docs);
}

/**
 * Save a campaign answer (written once, like a visit): form is the form
 * version it was given under, household its household id (null: a phone or
 * WeChat contact in grid). Returns validation errors ([] when saved).
 */
export function saveAnswer({ campaign, form, household = null, grid, channel, values }) {
  const now = localIso();
  const doc = {
    _id: `answer:${grid}:${uuid()}`, ...common('answer', grid, now), campaign, form,
    ...(household ? { household } : {}), channel, worker: session().user.name, answered_at: now, values,
  };
  return write([doc]);
}
