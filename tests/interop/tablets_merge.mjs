// Two field tablets (real PouchDB 9, memory adapter) edit the same household
// offline and then sync with a gridvisit server, which merges the conflict on
// write. Driven by tests/test_interop_merge.py.
//
// Each tablet stamps its edit with the field app's own helper
// (fieldapp/js/rules/stamps.js `stampEdit`, fieldapp/js/rules/hlc.js `Clock`), as the app
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
//   order      the steps after the edits: ["A", "B", "A"] (default). "A" is a
//              push then a pull of tablet A; "A:push" and "A:pull" do one of
//              them; {tablet: "A", edit: {...changes}, rev_vs_server: "above"
//              | "below" | null} is a further offline edit on that tablet
//              (stamped over what it holds, which may be behind the server).
//              With rev_vs_server the edit's rev hash is drawn at random
//              above (or below) the hash of the server's current rev of the
//              doc (read directly, not replicated): this decides ties that
//              CouchDB's rev order breaks.
//
// prints one JSON line:
//   {edits: {A: {rev, doc}, B: {rev, doc}}, tries, winner,
//    syncs: [{tablet, push, pull} or {tablet, edit: {rev, doc, server_rev}}],
//    final: {A: {doc, leaves}, B: {doc, leaves}}}
//   doc is get(doc_id, {conflicts: true}); leaves is open_revs=all (each
//   {rev, deleted}, plus the body of live leaves).

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Clock } from '../../fieldapp/js/rules/hlc.js';
import { stampEdit } from '../../fieldapp/js/rules/stamps.js';

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

// A random 32-hex-digit rev hash sorting above or below `hash`.
function hashBeside(hash, side) {
  const bound = BigInt(`0x${hash}`);
  const span = side === 'above' ? (1n << 128n) - bound - 1n : bound;
  if (span <= 0n) throw new Error(`no rev hash ${side} ${hash}`);
  const draw = BigInt(`0x${randomBytes(16).toString('hex')}`) % span;
  const value = side === 'above' ? bound + 1n + draw : draw;
  return value.toString(16).padStart(32, '0');
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
    // Redo both edits: redoing one alone can take hundreds of tries when
    // the other's rev hash happens to sort near an end.
    while (!wanted()) {
      if (tries >= (p.max_tries || 40)) throw new Error(`no wanted rev order in ${tries} tries`);
      for (const name of names) edits[name] = await pullAndEdit(name);
      tries += 1;
    }
  }

  // A further edit on a tablet that may not have pulled the server's merge.
  async function editAgain(step) {
    const t = tablets[step.tablet];
    const serverRev = (await t.remote.get(p.doc_id))._rev;
    if (!step.rev_vs_server) {
      const old = await t.db.get(p.doc_id);
      const res = await t.db.put(stampEdit(old, applyChanges(old, step.edit), t.clock));
      return { rev: res.rev, doc: await t.db.get(p.doc_id), server_rev: serverRev };
    }
    // The tablet's own edit, under a rev id whose hash is drawn at random
    // from the side of the server's hash the test asks for. PouchDB's rev
    // hashes are random anyway; drawing from the range instead of retrying
    // the edit keeps the test from depending on luck when the server's hash
    // sorts near an end.
    const { _revisions: history, ...old } = await t.db.get(p.doc_id, { revs: true });
    const edited = stampEdit(old, applyChanges(old, step.edit), t.clock);
    const hash = hashBeside(serverRev.split('-')[1], step.rev_vs_server);
    const start = history.start + 1;
    edited._rev = `${start}-${hash}`;
    edited._revisions = { start, ids: [hash, ...history.ids] };
    await t.db.bulkDocs([edited], { new_edits: false });
    return { rev: edited._rev, doc: await t.db.get(p.doc_id), server_rev: serverRev };
  }

  const syncs = [];
  for (const step of p.order || ['A', 'B', 'A']) {
    if (typeof step === 'object') {
      syncs.push({ tablet: step.tablet, edit: await editAgain(step) });
      continue;
    }
    const [name, only] = step.split(':');
    const t = tablets[name];
    const done = { tablet: name };
    if (!only || only === 'push') {
      done.push = clean(await PouchDB.replicate(t.db, t.remote), `${name} push`);
    }
    if (!only || only === 'pull') {
      done.pull = clean(await PouchDB.replicate(t.remote, t.db), `${name} pull`);
    }
    syncs.push(done);
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
