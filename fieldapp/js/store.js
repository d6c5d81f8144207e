// What the screens read: an in-memory index of the local database, built once
// at start and kept current from its changes feed (writes here and documents
// that sync brings). Visits are kept as summaries; a visit page reads the
// whole document. Only the worker's grids are indexed, and the early-warning
// rule set: the rules:warning document once an admin or the district has saved
// one (it replicates to every account), else the set shipped with the app
// (rules/rules.json, the server's rules/data/rules.json), so a fresh tablet's
// first sync carries its grid and nothing else.

import SHIPPED from './rules/rules.json' with { type: 'json' };
import { SEVERITY } from './rules/vocabulary.js';
import { RuleError, evaluate } from './rules/warnings.js';
import { addDays, dateStr, daysBetween, localDateOf } from './ui.js';
import { parseId } from './rules/validate.js';
import { applyCampaignDoc, clearCampaigns } from './campaigns.js';

const CAMPAIGN_KINDS = new Set(['campaign', 'form', 'answer']);

const DONE = new Set(['resolved', 'closed']);
/** The rule set shipped with the app, as the server's shipped_rules() gives it. */
export const SHIPPED_RULES = Object.freeze({ ...SHIPPED, schema: 2, updated_by: 'system' });
export const index = {
  grids: new Map(),        // grid id -> grid doc (or {_id} when only its households are here)
  households: new Map(),   // household id -> doc
  visits: new Map(),       // household id -> [summary], newest first
  requests: new Map(),     // household id -> [request doc]
  reviews: new Map(),      // visit id -> the supervisor's review doc
  notices: new Map(),      // notice id -> doc
  receipts: new Map(),     // notice id -> [receipt doc]
  answers: new Map(),      // household id -> [answer doc]: campaign answers, for the rules that read them
  rules: SHIPPED_RULES,    // the rule set in force: the rules:warning doc, else the shipped one
};
export const RULES_ID = 'rules:warning';
const homeOf = new Map();  // visit or request id -> the household it is listed under
let allowed = new Set();
let feed = null;
const listeners = new Set();
let timer = null;

/** Call fn() (at most every 400 ms) when indexed data changes. */
export function onData(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  if (timer) return;
  timer = setTimeout(() => { timer = null; for (const fn of listeners) fn(); }, 400);
}

function summary(doc) {
  return {
    _id: doc._id, household: doc.household, visited_at: doc.visited_at, outcome: doc.outcome,
    colour_after: doc.colour_after, follow_up_on: doc.follow_up_on, worker: doc.worker,
    supersedes: doc.supersedes, channel: doc.channel || 'door',
  };
}

// Notices and receipts, indexed by notice id.
function applyNotice(kind, doc, deleted) {
  if (kind === 'notice') {
    if (deleted) index.notices.delete(doc._id); else index.notices.set(doc._id, doc);
    return;
  }
  dropFrom(index.receipts, doc._id);
  if (deleted || !doc.notice) return;
  homeOf.set(doc._id, doc.notice);
  index.receipts.set(doc.notice, [...(index.receipts.get(doc.notice) || []), doc]);
}

function dropFrom(map, id) {
  const key = homeOf.get(id);
  const list = map.get(key);
  homeOf.delete(id);
  if (!list) return;
  const kept = list.filter((item) => item._id !== id);
  if (kept.length) map.set(key, kept); else map.delete(key);
}

// A household's campaign answers, whole (the early-warning rules read their values).
function applyAnswer(doc, deleted) {
  dropFrom(index.answers, doc._id);
  if (deleted || !doc.household) return;
  homeOf.set(doc._id, doc.household);
  index.answers.set(doc.household, [...(index.answers.get(doc.household) || []), doc]);
}

// Put one document (or its deletion) into the index.
function apply(doc, deleted = false) {
  if (doc._id === RULES_ID) { index.rules = deleted ? SHIPPED_RULES : doc; return; }
  const parsed = parseId(doc._id);
  // Campaigns and forms belong to a place, not a grid: the server sends the tablet its own.
  if (parsed && CAMPAIGN_KINDS.has(parsed[0]) && (parsed[0] !== 'answer' || allowed.has(parsed[1]))) {
    if (parsed[0] === 'answer') applyAnswer(doc, deleted);
    applyCampaignDoc(parsed[0], doc, deleted);
    return;
  }
  if (!parsed || !allowed.has(parsed[1])) return;
  const [kind, grid] = parsed;
  if (kind === 'grid') {
    if (deleted) index.grids.delete(grid); else index.grids.set(grid, doc);
  } else if (kind === 'household') {
    if (deleted) index.households.delete(doc._id); else index.households.set(doc._id, doc);
  } else if (kind === 'visit') {
    dropFrom(index.visits, doc._id);
    if (!deleted && doc.household) {
      homeOf.set(doc._id, doc.household);
      const list = [...(index.visits.get(doc.household) || []), summary(doc)];
      list.sort((a, b) => (a.visited_at < b.visited_at ? 1 : -1));
      index.visits.set(doc.household, list);
    }
  } else if (kind === 'review') {
    const visit = doc._id.slice('review:'.length);
    if (deleted) index.reviews.delete(visit); else index.reviews.set(visit, doc);
  } else if (kind === 'notice' || kind === 'receipt') {
    applyNotice(kind, doc, deleted);
  } else if (kind === 'request') {
    dropFrom(index.requests, doc._id);
    if (!deleted && doc.household) homeOf.set(doc._id, doc.household);
    if (!deleted && doc.household) index.requests.set(doc.household, [...(index.requests.get(doc.household) || []), doc]);
  }
}

/** Index docs just written here at once (the changes feed follows a moment later). */
export function noteSaved(docs) {
  for (const doc of docs) apply(doc);
  changed();
}

/** Take id out of the index (purged here: the changes feed never says so). */
export function noteRemoved(id) {
  apply({ _id: id }, true);
  changed();
}

/** Build the index of db for grids, then follow its changes. */
export async function loadIndex(db, grids) {
  if (feed) feed.cancel();
  allowed = new Set(grids);
  for (const map of [...Object.values(index), homeOf]) if (map instanceof Map) map.clear();
  index.rules = SHIPPED_RULES;
  clearCampaigns();
  const { rows } = await db.allDocs({ include_docs: true });
  const visits = new Map();
  for (const { doc } of rows) {
    const parsed = parseId(doc._id);
    if (parsed && parsed[0] === 'visit' && allowed.has(parsed[1]) && doc.household) {
      if (!visits.has(doc.household)) visits.set(doc.household, []);
      homeOf.set(doc._id, doc.household);
      visits.get(doc.household).push(summary(doc));
    } else {
      apply(doc);
    }
  }
  for (const [hh, list] of visits) {
    list.sort((a, b) => (a.visited_at < b.visited_at ? 1 : -1));
    index.visits.set(hh, list);
  }
  feed = db.changes({ since: 'now', live: true, include_docs: true })
    .on('change', (change) => { apply(change.doc, change.deleted); changed(); })
    .on('error', () => { feed = null; });
  changed();
}

/** The worker's grids: [{id, name}] in the order the account lists them. */
export const myGrids = () => [...allowed].map((id) => ({ id, name: index.grids.get(id)?.name || id }));

/** Households of grid (all grids when null), sorted by building, unit, room. */
export function householdsOf(grid = null, building = null) {
  const out = [];
  for (const doc of index.households.values()) {
    if ((grid && doc.grid !== grid) || (building !== null && doc.building !== building)) continue;
    out.push(doc);
  }
  const key = (d) => [d.building || '', d.unit || '', d.room || ''];
  const collator = new Intl.Collator('zh-CN', { numeric: true });
  return out.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i += 1) {
      const c = collator.compare(x[i], y[i]);
      if (c) return c;
    }
    return 0;
  });
}

/** What a household's row shows: days since its last visit, follow-up due or overdue. */
export function visitState(hhId, today = dateStr()) {
  const latest = (index.visits.get(hhId) || [])[0];
  if (!latest) return { days: null, overdue: 0, dueToday: false, latest: null };
  const days = Math.max(0, daysBetween(localDateOf(latest.visited_at), today));
  const follow = latest.follow_up_on;
  const late = follow ? daysBetween(follow, today) : -1;
  return { days, overdue: late > 0 ? late : 0, dueToday: late === 0, latest };
}

/** Requests of a household that are not resolved or closed. */
export const openRequests = (hhId) => (index.requests.get(hhId) || []).filter((r) => !DONE.has(r.status));

/** Every request of a household: open ones first, then the rest, newest first in each. */
export function requestsOf(hhId) {
  const list = [...(index.requests.get(hhId) || [])];
  const rank = (r) => (DONE.has(r.status) ? 1 : 0);
  return list.sort((a, b) => rank(a) - rank(b) || ((a.opened_at || '') < (b.opened_at || '') ? 1 : -1));
}

const URGENCY_RANK = { urgent: 0, high: 1, normal: 2, low: 3 };

/**
 * The worker's to-do: every open request of their grids as {request, household},
 * referrals first, then the others; in each, most urgent first, then oldest.
 */
export function openItems() {
  const out = [];
  for (const [hhId, list] of index.requests) {
    const household = index.households.get(hhId);
    for (const r of list) if (!DONE.has(r.status)) out.push({ request: r, household });
  }
  const group = (r) => (r.kind === 'referral' ? 0 : 1);
  const rank = (r) => URGENCY_RANK[r.urgency] ?? URGENCY_RANK.normal;
  const opened = (r) => Date.parse(r.opened_at || r.status_times?.[r.status]) || 0;
  return out.sort(({ request: a }, { request: b }) => group(a) - group(b) || rank(a) - rank(b)
    || opened(a) - opened(b) || (a._id < b._id ? -1 : 1));
}

/**
 * When hh was last visited (ISO), else null: the later of the visits here and
 * what its document says. Every screen reads this one, so a household never
 * shows two different ages.
 */
export function lastVisitOf(hh) {
  const here = visitState(hh._id).latest?.visited_at ?? null;
  const said = hh.last_visit_at ?? null;
  if (!here || !said) return here || said;
  return Date.parse(here) >= Date.parse(said) ? here : said;
}

/** Days since hh's last visit by the calendar (0 today), or null when never. */
export function daysSinceVisit(hh, today = dateStr()) {
  const at = lastVisitOf(hh);
  return at ? Math.max(0, daysBetween(localDateOf(at), today)) : null;
}

/**
 * The warnings the rule set's household rules give hh now, with no visit
 * being recorded (as shipped: red and not visited for 48 hours, or never;
 * a rule may read hh's latest answer to a campaign, from its answers here);
 * [] without a rule set, or with one that cannot be read (the visit form
 * says so).
 */
export function dueWarnings(hh, now = new Date()) {
  if (hh.status === 'moved_out') return [];      // nobody left to visit
  try {
    return evaluate(index.rules, null, { ...hh, last_visit_at: lastVisitOf(hh) }, now,
      index.answers.get(hh._id) || []).warnings;
  } catch (err) {
    if (err instanceof RuleError) return [];
    throw err;
  }
}

/**
 * Households due a visit by dueWarnings, as {household, warnings, last}:
 * most severe first, then the longest unvisited. The console's dashboard
 * lists the same (server/console/stats.py).
 */
export function householdAlerts(now = new Date()) {
  const out = [];
  for (const hh of index.households.values()) {
    const warnings = dueWarnings(hh, now);
    if (warnings.length) out.push({ household: hh, warnings, last: lastVisitOf(hh) });
  }
  const worst = (a) => Math.max(...a.warnings.map((w) => SEVERITY[w.colour] ?? -1));
  const at = (a) => (a.last ? Date.parse(a.last) : -Infinity);
  return out.sort((a, b) => worst(b) - worst(a) || at(a) - at(b)
    || (a.household._id < b.household._id ? -1 : 1));
}

/** The summary of visit id, or null. */
export function visitSummary(id) {
  return (index.visits.get(homeOf.get(id)) || []).find((x) => x._id === id) || null;
}

/** The visit that amends visit id (names it in `supersedes`), or null. */
export function amendmentOf(id) {
  const list = index.visits.get(homeOf.get(id)) || [];
  return list.find((x) => x.supersedes === id) || null;
}

/**
 * Visits of worker the supervisor sent back (退回修改) and not yet amended:
 * [{visit, review, household}], longest waiting first.
 */
export function sentBack(worker) {
  const out = [];
  for (const [id, review] of index.reviews) {
    if (review.state !== 'needs_fix' || review.closed_by) continue;
    const visit = visitSummary(id);
    if (!visit || visit.worker !== worker || amendmentOf(id)) continue;
    out.push({ visit, review, household: index.households.get(visit.household) });
  }
  const at = (x) => Date.parse(x.review.reviewed_at || x.review.updated_at) || 0;
  return out.sort((a, b) => at(a) - at(b));
}

/** Households whose follow-up (复访) is due today or overdue, most overdue first. */
export function followUps() {
  const out = [];
  for (const hh of index.households.values()) {
    const state = visitState(hh._id);
    if (hh.status !== 'moved_out' && (state.overdue || state.dueToday)) out.push({ household: hh, state });
  }
  return out.sort((a, b) => b.state.overdue - a.state.overdue || (a.household._id < b.household._id ? -1 : 1));
}

/** Whether reader has a receipt for notice id. */
export const hasRead = (id, reader) => (index.receipts.get(id) || []).some((r) => r.reader === reader);

/**
 * Notices in force (not expired at now), newest first. A notice published to
 * several of the worker's grids is one per grid document sharing a uuid: it
 * is listed once, {uuid, doc, ids, unread} (unread: a copy without reader's receipt).
 */
export function noticesFor(reader, now = new Date()) {
  const byUuid = new Map();
  for (const doc of index.notices.values()) {
    if (doc.expires_at && Date.parse(doc.expires_at) <= now.getTime()) continue;
    const key = doc._id.split(':')[2];
    const entry = byUuid.get(key) || { uuid: key, doc, ids: [], unread: false };
    entry.ids.push(doc._id);
    entry.unread = entry.unread || !hasRead(doc._id, reader);
    byUuid.set(key, entry);
  }
  const at = (e) => Date.parse(e.doc.published_at) || 0;
  return [...byUuid.values()].sort((a, b) => at(b) - at(a));
}

/** Buildings of grid: [{building, count, red, yellow, overdue}]. */
export function buildingsOf(grid) {
  const map = new Map();
  for (const hh of householdsOf(grid)) {
    const b = map.get(hh.building) || { building: hh.building, count: 0, red: 0, yellow: 0, overdue: 0 };
    b.count += 1;
    if (hh.colour === 'red') b.red += 1;
    if (hh.colour === 'yellow') b.yellow += 1;
    if (visitState(hh._id).overdue) b.overdue += 1;
    map.set(hh.building, b);
  }
  return [...map.values()];
}

// A name matched by q: as written, or by pinyin or its initials ("gdm" →
// 高德明, "guodeming"), polyphones included (pinyin-match, served from
// node_modules like PouchDB, so it works offline).
function nameMatches(name, text) {
  if (!name) return false;
  if (name.toLowerCase().includes(text)) return true;
  const { PinyinMatch } = window;
  return /^[a-z]+$/.test(text) && Boolean(PinyinMatch?.match(name, text));
}

/** Households matching q by room, head or member name (also by pinyin or initials), or phone digits. */
export function search(q, grid = null) {
  const text = q.trim().toLowerCase();
  if (!text) return [];
  const digits = text.replace(/\D/g, '');
  return householdsOf(grid).filter((hh) => {
    const where = `${hh.building || ''}${hh.unit || ''}${hh.room || ''} ${hh.room || ''}`.toLowerCase();
    if (where.includes(text)) return true;
    if (nameMatches(hh.head, text)) return true;
    if ((hh.members || []).some((m) => nameMatches(m?.name, text))) return true;
    return digits.length >= 3 && (hh.phone || '').replace(/\D/g, '').includes(digits);
  });
}

export { addDays };
