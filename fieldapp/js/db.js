// The tablet's database: PouchDB in IndexedDB (PouchDB's browser build, served
// from node_modules by the server, loaded as a classic script before the
// modules), the server's field database as the remote, and the stamped
// writes every household and request edit goes through.

import { serverUrl } from './api.js';
import { Clock, ZERO } from './rules/hlc.js';
import { markPending } from './outbox.js';
import { stampEdit } from './rules/stamps.js';
import { parseId, validate } from './rules/validate.js';

const { PouchDB } = window;
let local = null;

/** The local database of account user (opened once). */
export function openLocal(user) {
  if (!local || local.name !== `gridvisit-${user}`) {
    local = new PouchDB(`gridvisit-${user}`, { adapter: 'indexeddb', auto_compaction: true });
  }
  return local;
}

/** The open local database. */
export const db = () => local;

/** The server's field database, authenticated with the device token (never a cookie). */
export function openRemote(s) {
  return new PouchDB(serverUrl(`couch/${s.field_db}`), {
    skip_setup: true,
    fetch(url, opts) {
      opts.headers.set('Authorization', `Bearer ${s.token}`);
      opts.credentials = 'omit';
      return PouchDB.fetch(url, opts);
    },
  });
}

/**
 * Remove (purge: nothing is replicated) every local document outside grids,
 * except the ids in keep (this tablet's own unsent or refused work) and the
 * shared rules:* documents every account holds. Returns how many were dropped.
 */
export async function dropOutside(grids, keep = new Set()) {
  const allowed = new Set(grids);
  const { rows } = await local.allDocs();
  let dropped = 0;
  for (const { id } of rows) {
    const parsed = parseId(id);
    if (!parsed || allowed.has(parsed[1]) || keep.has(id) || id.startsWith('rules:')) continue;
    const leaves = await local.get(id, { open_revs: 'all' });
    for (const leaf of leaves) if (leaf.ok) await local.purge(id, leaf.ok._rev);
    dropped += 1;
  }
  return dropped;
}

/** Delete the local database for good (logout). */
export async function destroyLocal() {
  if (local) await local.destroy();
  local = null;
}

// -- writes: stamped, validated, and marked pending --------------------------

function clock(device) {
  try {
    const kept = Clock.fromJSON(localStorage.getItem('gv.clock'));
    if (kept.device === device) return kept;
  } catch { /* none kept yet */ }
  return new Clock(device, Date.now, ZERO);
}

/** Stamp doc as an edit of old (null: new) with this tablet's clock, kept afterwards. */
export function stamp(old, doc, device) {
  const c = clock(device);
  const stamped = stampEdit(old, doc, c);
  localStorage.setItem('gv.clock', JSON.stringify(c));
  return stamped;
}

/** Write docs after validating each; returns [] or the first document's errors. */
export async function saveAll(docs) {
  for (const doc of docs) {
    const errors = validate(doc);
    if (errors.length) return errors.map((e) => ({ ...e, doc: doc._id }));
  }
  for (const doc of docs) markPending(doc._id);
  const results = await local.bulkDocs(docs);
  const failed = results.find((r) => r.error);
  if (failed) throw new Error(`${failed.id}: ${failed.reason || failed.error}`);
  results.forEach((r, i) => { docs[i]._rev = r.rev; });
  return [];
}
