// Erasure notices: a resident's personal data erased on request leaves the
// tablet too. The server writes erasure:{grid}:{uuid} (ids only, never a
// person) when an admin erases a household or a member; it replicates here
// like any document of the grid. The tablet obeys each notice once: every
// document named in `purged` is purged from PouchDB (all its leaves: gone,
// not a tombstone, and never pushed again), and the database is compacted so
// the older revisions of those in `rewritten` (already replaced by the
// server's new revision, pulled before the notice) keep no body. A whole
// household's notice also takes what this tablet recorded there that the
// server never got (the server refuses it: erased ids never come back).

import { forget } from './outbox.js';

const DONE_KEY = 'gv.erasures';
const watched = new WeakSet();

function obeyed() {
  try { return new Set(JSON.parse(localStorage.getItem(DONE_KEY) || '[]')); } catch { return new Set(); }
}

/** Obey every erasure notice in local not yet obeyed; returns how many ids were purged. */
export async function obeyErasures(local) {
  const done = obeyed();
  const { rows } = await local.allDocs({ startkey: 'erasure:', endkey: 'erasure:\ufff0', include_docs: true });
  let purged = 0;
  for (const { id, doc } of rows) {
    if (done.has(id) || !doc) continue;
    const targets = new Set(doc.purged || []);
    if (!doc.member) {              // a whole household: also what this tablet recorded there since
      const all = await local.allDocs({ include_docs: true });
      for (const row of all.rows) {
        if (row.doc?.household === doc.household && !row.id.startsWith('erasure:')) targets.add(row.id);
      }
    }
    for (const target of targets) {
      let leaves = [];
      try { leaves = await local.get(target, { open_revs: 'all' }); } catch { /* not here */ }
      for (const leaf of leaves) {
        if (leaf.ok) { await local.purge(target, leaf.ok._rev); purged += 1; }
      }
      forget(target);                      // never pushed again
    }
    done.add(id);
  }
  if (rows.length) {
    await local.compact();
    localStorage.setItem(DONE_KEY, JSON.stringify([...done]));
  }
  return purged;
}

/** Obey the notices now and whenever one arrives; after(n) runs when documents went. */
export function watchErasures(local, after = () => {}) {
  if (watched.has(local)) return;
  watched.add(local);
  const run = () => obeyErasures(local).then((n) => { if (n) after(n); }).catch(() => {});
  run();
  local.changes({ live: true, since: 'now' }).on('change', (change) => {
    if (change.id.startsWith('erasure:')) run();
  });
}
