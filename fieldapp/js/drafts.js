// Unfinished work (未完成): what a worker has typed on a form and not yet
// saved, kept on this tablet only. A visit form's draft is keyed by its
// household id; a household edit's by `edit:{household id}`; a new
// household's by `new:{grid}`; a campaign answer's by
// `answer|{campaign id}|{household id, or contact:{grid}}` (draftKind,
// draftHref tell them apart).
//
// Drafts live in one PouchDB local document (`_local/drafts`), which never
// replicates, never appears in the changes feed (so it is never counted as
// pending) and survives a reload, a killed app and a dead battery (IndexedDB).
// Why drafts do not replicate (docs/documents.md, "Drafts"): a draft changes
// on every tap, so replicating it would send hundreds of revisions of
// half-typed health readings to the server and the district hub; a half-typed
// reading is often invalid and would be refused into quarantine; and one
// worker carries one tablet on a round. A visit reaches the server once, whole,
// when it is saved.

import { db } from './db.js';
import { link } from './router.js';
import { openDoc, sealDoc } from './seal.js';
import { currentKey } from './vault.js';

const ID = '_local/drafts';
let queue = Promise.resolve();
let cache = null;                 // {household id: {saved_at, form}} of the open database
let cachedFor = null;

async function load() {
  if (cache && cachedFor === db()) return cache;
  try {
    // transform-pouch leaves _local documents alone: what a worker typed is sealed here.
    const kept = await db().get(ID);
    cache = (currentKey() ? await openDoc(currentKey(), kept) : kept).drafts || {};
  } catch {
    cache = {};
  }
  cachedFor = db();
  return cache;
}

// Writes go one after another: a local document needs the revision it replaces.
function persist(change) {
  queue = queue.then(async () => {
    const drafts = await load();
    change(drafts);
    let rev;
    try { rev = (await db().get(ID))._rev; } catch { rev = undefined; }
    const doc = { _id: ID, ...(rev ? { _rev: rev } : {}), drafts };
    await db().put(currentKey() ? await sealDoc(currentKey(), doc) : doc);
  }).catch((err) => { console.error('draft not kept', err); });
  return queue;
}

/** The drafts of this account: {household id: {saved_at, form}}. */
export async function drafts() {
  await queue;
  return { ...(await load()) };
}

/** The draft of household id, or null. */
export async function draftOf(id) {
  return (await drafts())[id] || null;
}

/** Keep form (the visit form's state) as the draft of household id. */
export function keepDraft(id, form) {
  return persist((all) => { all[id] = { saved_at: new Date().toISOString(), form }; });
}

/** Forget the draft of household id (saved as a visit, or discarded). */
export function dropDraft(id) {
  return persist((all) => { delete all[id]; });
}

/** The draft key of campaign's answer about subject (a household id, or contact:{grid}). */
export const answerKey = (campaign, subject) => `answer|${campaign}|${subject}`;

/** [campaign id, subject] of an answer draft's key. */
export const answerParts = (key) => key.split('|').slice(1);

/** The kind of the draft under key: 'visit', 'edit' (a household), 'new' (a household) or 'answer'. */
export function draftKind(key) {
  if (key.startsWith('answer|')) return 'answer';
  if (key.startsWith('edit:')) return 'edit';
  if (key.startsWith('new:')) return 'new';
  return 'visit';
}

/** The household id (visit, edit, answer) or grid (new; contact:{grid} for an answer) the draft under key belongs to. */
export function draftSubject(key) {
  const kind = draftKind(key);
  if (kind === 'answer') return answerParts(key)[1];
  return kind === 'visit' ? key : key.slice(key.indexOf(':') + 1);
}

/** Where the draft under key is resumed. */
export function draftHref(key) {
  const kind = draftKind(key);
  if (kind === 'edit') return link('hh', draftSubject(key), 'edit');
  if (kind === 'new') return link('grid', draftSubject(key), 'new');
  if (kind === 'answer') {
    const [campaign, subject] = answerParts(key);
    return subject.startsWith('contact:') ? link('campaign', campaign, 'contact', subject.slice(8))
      : link('campaign', campaign, 'hh', subject);
  }
  return link('hh', key, 'visit');
}

/** How many drafts wait (for the home screen and the sign-out warning). */
export async function draftCount() {
  return Object.keys(await drafts()).length;
}
