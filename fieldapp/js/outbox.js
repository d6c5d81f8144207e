// What this tablet wrote that the server does not hold yet, and what it refused.
//
// Every local write marks its id pending. The server is asked (_revs_diff)
// whether it holds each pending document's current revision; only then is
// the id cleared — a replication that says "done" is never taken on trust.
// Refusals (PouchDB's 'denied': {"error": "forbidden", "reason"}) are kept
// with their reason and the revision refused, and the document stays here.

let owner = '';
const key = (name) => `gv.${name}.${owner}`;
const read = (name, empty) => {
  try { return JSON.parse(localStorage.getItem(key(name))) ?? empty; } catch { return empty; }
};
const write = (name, value) => localStorage.setItem(key(name), JSON.stringify(value));

/** Use the outbox of account user. */
export function useOutbox(user) { owner = user; }

/** Ids written here and not yet confirmed on the server. */
export const pendingIds = () => read('pending', []);

/** {id: {rev, reason, at}} of documents the server refused. */
export const refusedDocs = () => read('refused', {});

/** Remember that id was written locally and must reach the server. */
export function markPending(id) {
  const ids = new Set(pendingIds());
  ids.add(id);
  write('pending', [...ids]);
}

/** Record the server's refusal of id at revision rev. */
export function markRefused(id, rev, reason) {
  const refused = refusedDocs();
  refused[id] = { rev, reason: reason || 'forbidden', at: new Date().toISOString() };
  write('refused', refused);
}

/**
 * {pending, refused} counts: a document refused at its current revision is
 * refused, not pending; once corrected (a newer revision) it is pending again.
 */
export async function counts(db) {
  const refused = refusedDocs();
  let pending = 0, stillRefused = 0;
  for (const id of new Set([...pendingIds(), ...Object.keys(refused)])) {
    const rev = await currentRev(db, id);
    if (refused[id] && refused[id].rev === rev) stillRefused += 1;
    else if (pendingIds().includes(id)) pending += 1;
  }
  return { pending, refused: stillRefused };
}

/** Refusals that still hold: {id: {rev, reason, at}} of documents not corrected since. */
export async function standingRefusals(db) {
  const out = {};
  for (const [id, r] of Object.entries(refusedDocs())) if (r.rev === await currentRev(db, id)) out[id] = r;
  return out;
}

/** Forget id entirely (its refused document was discarded on this tablet). */
export function forget(id) {
  write('pending', pendingIds().filter((x) => x !== id));
  const refused = refusedDocs();
  delete refused[id];
  write('refused', refused);
}

async function currentRev(db, id) {
  try { return (await db.get(id))._rev; } catch { return null; }
}

/**
 * Ask the server which pending revisions it holds and clear those ids (and
 * any refusal of them). :throws: when the server cannot be asked.
 */
export async function settle(db, remote) {
  const ids = pendingIds();
  if (!ids.length) return;
  const revs = {};
  for (const id of ids) {
    const rev = await currentRev(db, id);
    if (rev) revs[id] = [rev];
  }
  const missing = await remote.revsDiff(revs);
  const held = Object.keys(revs).filter((id) => !missing[id]);
  const stillPending = pendingIds().filter((id) => !held.includes(id) && revs[id]);
  // Ids written while we asked stay pending until the next round.
  const written = pendingIds().filter((id) => !ids.includes(id));
  write('pending', [...new Set([...stillPending, ...written])]);
  const refused = refusedDocs();
  for (const id of held) delete refused[id];
  write('refused', refused);
}

/** Forget the outbox of this account (logout). */
export function clearOutbox() {
  for (const name of ['pending', 'refused', 'lastSync']) localStorage.removeItem(key(name));
}

/** The time of the last sync the server confirmed (ISO), or null. */
export const lastSync = () => read('lastSync', null);
export const setLastSync = (iso) => write('lastSync', iso);
