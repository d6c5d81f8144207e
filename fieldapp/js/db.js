// The tablet's database: PouchDB in IndexedDB (PouchDB's browser build, served
// from node_modules by the server, loaded as a classic script before the
// modules), sealed with the worker's data key (seal.js), the server's field
// database as the remote, and the stamped writes every household and request
// edit goes through. A tablet from before sealing has a plaintext database;
// it is moved into the sealed one at the next sign-in (migratePlain).

import { serverUrl } from './api.js';
import { Clock, ZERO } from './rules/hlc.js';
import { markPending } from './outbox.js';
import { stampEdit } from './rules/stamps.js';
import { parseId, validate } from './rules/validate.js';
import { sealDatabase, sealDoc } from './seal.js';

const { PouchDB } = window;
let local = null;
const plainName = (user) => `gridvisit-${user}`;
const sealedName = (user) => `gridvisit-${user}-sealed`;
const open = (name) => new PouchDB(name, { adapter: 'indexeddb', auto_compaction: true });

/** The local database of account user (opened once): sealed with key, or the plaintext one of before. */
export function openLocal(user, key = null) {
  const name = key ? sealedName(user) : plainName(user);
  if (!local || local.name !== name) {
    local = open(name);
    if (key) sealDatabase(local, key);
  }
  return local;
}

/**
 * Move user's plaintext database (a tablet from before sealing) into the
 * sealed one, revisions and conflicts as they are (replication with
 * new_edits=false: nothing new for the server), drafts too; the plaintext
 * one is destroyed only once every revision it held is in the sealed one.
 * Returns how many documents moved. :throws: when one did not.
 */
export async function migratePlain(user, key) {
  const plain = open(plainName(user));
  const sealed = openLocal(user, key);
  const info = await plain.info();
  if (info.doc_count || info.update_seq) {
    await plain.replicate.to(sealed, { batch_size: 100, style: 'all_docs' });
    const revs = {};
    const { rows } = await plain.allDocs();
    for (const { id, value } of rows) revs[id] = [value.rev];
    const missing = await sealed.revsDiff(revs);
    if (Object.keys(missing).length) throw new Error(`not moved: ${Object.keys(missing).join(', ')}`);
    try {
      const { drafts } = await plain.get('_local/drafts');
      let rev;
      try { rev = (await sealed.get('_local/drafts'))._rev; } catch { rev = undefined; }
      await sealed.put(await sealDoc(key, { _id: '_local/drafts', ...(rev ? { _rev: rev } : {}), drafts }));
    } catch (err) {
      if (err.status !== 404) throw err;
    }
  }
  await plain.destroy();
  return info.doc_count;
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
 * shared rules:* documents every account holds, and the campaigns and forms of
 * the places the server sent. Returns how many were dropped.
 */
export async function dropOutside(grids, keep = new Set()) {
  const allowed = new Set(grids);
  const { rows } = await local.allDocs();
  let dropped = 0;
  for (const { id } of rows) {
    const parsed = parseId(id);
    if (!parsed || allowed.has(parsed[1]) || keep.has(id) || id.startsWith('rules:')) continue;
    if (parsed[0] === 'campaign' || parsed[0] === 'form') continue;   // a place's, sent by the server
    const leaves = await local.get(id, { open_revs: 'all' });
    for (const leaf of leaves) if (leaf.ok) await local.purge(id, leaf.ok._rev);
    dropped += 1;
  }
  return dropped;
}

/** Delete the local database for good (logout); with user, also the one not open. */
export async function destroyLocal(user = null) {
  if (local) await local.destroy();
  local = null;
  if (user) for (const name of [plainName(user), sealedName(user)]) await open(name).destroy();
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
