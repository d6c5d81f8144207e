'use strict';
// Two local PouchDBs A and B each run PouchDB.sync(local, server, {live:true}).
// A write on one side must show up on the other (through the server) while
// the syncs are live; then both syncs are cancelled.
// Payload: {remote: url, timeout_ms}. Reports what arrived and how fast.
const {local, remote, main, waitFor, getOrNull, PouchDB, describeError} = require('./_common');

function liveSync(db, url, name, events) {
  const sync = PouchDB.sync(db, remote(url), {live: true, retry: false});
  const state = {name, paused: 0, active: 0, changes: 0, errors: [], denied: [], completed: null};
  sync.on('paused', (err) => {
    state.paused += 1;
    if (err) state.errors.push(describeError(err));
  });
  sync.on('active', () => { state.active += 1; });
  sync.on('change', () => { state.changes += 1; });
  sync.on('denied', (err) => { state.denied.push(describeError(err)); });
  sync.on('error', (err) => { state.errors.push(describeError(err)); });
  state.done = new Promise((resolve) => {
    sync.on('complete', (info) => {
      state.completed = {
        push_status: info && info.push && info.push.status,
        pull_status: info && info.pull && info.pull.status,
      };
      resolve();
    });
  });
  events.push(state);
  return sync;
}

main(async ({remote: url, timeout_ms = 15000}) => {
  const a = local('a');
  const b = local('b');
  const states = [];
  const syncA = liveSync(a, url, 'A', states);
  const syncB = liveSync(b, url, 'B', states);
  // Let both syncs reach their first idle point (live changes feed open).
  await waitFor(() => states.every((s) => s.paused > 0), timeout_ms);

  const out = {steps: {}};
  async function step(name, writer, reader, id, check) {
    const t0 = Date.now();
    const written = await writer();
    const seen = await waitFor(async () => {
      const doc = await getOrNull(reader, id);
      return check(doc, written) ? (doc || {deleted: true}) : null;
    }, timeout_ms);
    out.steps[name] = {
      arrived: !!seen,
      ms: Date.now() - t0,
      written_rev: written && written.rev,
      seen_rev: seen && seen._rev,
      seen_doc: seen && seen._id ? seen : null,
    };
  }

  // A -> server -> B
  await step('a_to_b', () => a.put({_id: 'from-a', who: 'A', text: '来自 A'}), b, 'from-a',
             (doc, w) => doc && doc._rev === w.rev);
  // B -> server -> A
  await step('b_to_a', () => b.put({_id: 'from-b', who: 'B'}), a, 'from-b',
             (doc, w) => doc && doc._rev === w.rev);
  // B edits A's doc; the edit comes back to A
  await step('edit_back', async () => {
    const doc = await b.get('from-a');
    doc.edited_by = 'B';
    return b.put(doc);
  }, a, 'from-a', (doc, w) => doc && doc._rev === w.rev);
  // A deletes B's doc; B sees it deleted
  await step('delete_a_to_b', async () => {
    const doc = await a.get('from-b');
    return a.remove(doc);
  }, b, 'from-b', (doc) => doc === null);
  // a burst of writes on A all arrive on B
  await step('burst_a_to_b', async () => {
    const docs = Array.from({length: 50}, (_, i) => ({_id: `burst-${i}`, i}));
    const res = await a.bulkDocs(docs);
    return {rev: res[49].rev};
  }, b, 'burst-49', (doc, w) => doc && doc._rev === w.rev);
  const bBurst = await b.allDocs({startkey: 'burst-', endkey: 'burst-\uffff'});
  out.b_burst_count = bBurst.rows.length;

  syncA.cancel();
  syncB.cancel();
  const cancelled = await Promise.race([
    Promise.all(states.map((s) => s.done)).then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), timeout_ms)),
  ]);
  out.cancel_completed = cancelled;

  // After cancel, writes must no longer travel.
  const late = await a.put({_id: 'after-cancel', v: 1});
  await new Promise((resolve) => setTimeout(resolve, 1000));
  out.after_cancel_reached_b = !!(await getOrNull(b, 'after-cancel'));
  out.after_cancel_rev = late.rev;

  out.syncs = states.map(({name, paused, active, changes, errors, denied, completed}) =>
    ({name, paused, active, changes, errors, denied, completed}));
  const server = remote(url);
  out.server_from_a = await getOrNull(server, 'from-a');
  out.server_from_b_deleted = (await getOrNull(server, 'from-b')) === null;
  out.server_after_cancel = await getOrNull(server, 'after-cancel');
  return out;
});
