// Two field tablets (real PouchDB 9, memory adapter) edit the same household
// offline and then sync with a gridvisit server, which merges the conflict on
// write. Driven by tests/test_interop_merge.py.
//
// Each tablet stamps its edit with the field app's own helper
// (fieldapp/js/stamps.js `stampEdit`, fieldapp/js/hlc.js `Clock`), as the app
// does: old doc as pulled, new doc with the worker's changes, the tablet's
// clock.
//
// payload:
//   url        the server's field db, no credentials ("http://.../couch/field")
//   doc_id     the household both tablets edit
//   tablets    {A: {user, password, device, offset_ms}, B: {...}}; offset_ms
//              shifts that tablet's wall clock (a tablet whose clock runs ahead)
//   edits      {A: {field: value, ...}, B: {...}}: the worker's changes, applied
//              over the pulled doc (null removes a field)
//   want_winner  "A", "B" or null: whose leaf must be CouchDB's winning leaf
//              (the higher rev hash, both revs being 2-...). PouchDB's rev ids
//              are random, so tablet B starts over (a fresh local db, a fresh
//              pull, the same clock) until the order is the wanted one, so that
//              a test can put the newest stamp on the *losing* leaf.
//   order      the syncs after the edits: ["A", "B", "A"] (default); each
//              step is a push then a pull of that tablet.
//
// prints one JSON line:
//   {edits: {A: {rev, doc}, B: {rev, doc}}, tries, winner,
//    syncs: [{tablet, push, pull}],
//    final: {A: {doc, leaves}, B: {doc, leaves}}}
//   doc is get(doc_id, {conflicts: true}); leaves is open_revs=all (each
//   {rev, deleted}, plus the body of live leaves).

import { createRequire } from 'node:module';
import { Clock } from '../../fieldapp/js/hlc.js';
import { stampEdit } from '../../fieldapp/js/stamps.js';

const require = createRequire(import.meta.url);
const { PouchDB, local, remote, main, summary } = require('./_common.js');

function withCredentials(url, user, password) {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function clean(result, what) {
  if (!result.ok || result.status !== 'complete' || result.doc_write_failures) {
    throw new Error(`${what} not clean: ${JSON.stringify(summary(result))}`);
  }
  return summary(result);
}

function applyChanges(doc, changes) {
  const next = structuredClone(doc);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = structuredClone(value);
  }
  return next;
}

// CouchDB's winner between two live leaves: higher pos, then higher hash.
function winnerOf(revs) {
  const key = (rev) => {
    const [pos, hash] = rev.split('-');
    return [Number(pos), hash];
  };
  return [...revs].sort((a, b) => {
    const [pa, ha] = key(a), [pb, hb] = key(b);
    if (pa !== pb) return pb - pa;
    return ha < hb ? 1 : ha > hb ? -1 : 0;
  })[0];
}

async function leavesOf(db, id) {
  const rows = await db.get(id, { open_revs: 'all' });
  return rows.map((row) => (row.ok
    ? { rev: row.ok._rev, deleted: !!row.ok._deleted, doc: row.ok._deleted ? null : row.ok }
    : { rev: row.missing, missing: true }))
    .sort((a, b) => (a.rev < b.rev ? -1 : a.rev > b.rev ? 1 : 0));
}

main(async (p) => {
  const names = ['A', 'B'];
  const tablets = {};
  for (const name of names) {
    const cfg = p.tablets[name];
    const offset = cfg.offset_ms || 0;
    tablets[name] = {
      cfg,
      clock: new Clock(cfg.device, () => Date.now() + offset),
      remote: remote(withCredentials(p.url, cfg.user, cfg.password)),
      db: null,
    };
  }

  // Pull, then edit offline with the app's stamping helper.
  async function pullAndEdit(name) {
    const t = tablets[name];
    if (t.db) await t.db.destroy();
    t.db = local(`tablet${name}`);
    clean(await PouchDB.replicate(t.remote, t.db), `${name} first pull`);
    const old = await t.db.get(p.doc_id);
    const edited = stampEdit(old, applyChanges(old, p.edits[name]), t.clock);
    const res = await t.db.put(edited);
    return { rev: res.rev, doc: await t.db.get(p.doc_id), pulled_rev: old._rev };
  }

  const edits = {};
  for (const name of names) edits[name] = await pullAndEdit(name);
  let tries = 1;
  if (p.want_winner) {
    const wanted = () => winnerOf([edits.A.rev, edits.B.rev]) === edits[p.want_winner].rev;
    while (!wanted()) {
      if (tries >= (p.max_tries || 40)) throw new Error(`no wanted rev order in ${tries} tries`);
      edits.B = await pullAndEdit('B');
      tries += 1;
    }
  }

  const syncs = [];
  for (const name of p.order || ['A', 'B', 'A']) {
    const t = tablets[name];
    const push = clean(await PouchDB.replicate(t.db, t.remote), `${name} push`);
    const pull = clean(await PouchDB.replicate(t.remote, t.db), `${name} pull`);
    syncs.push({ tablet: name, push, pull });
  }

  const final = {};
  for (const name of names) {
    const db = tablets[name].db;
    final[name] = {
      doc: await db.get(p.doc_id, { conflicts: true }),
      leaves: await leavesOf(db, p.doc_id),
    };
  }
  return { edits, tries, winner: winnerOf([edits.A.rev, edits.B.rev]), syncs, final };
});
