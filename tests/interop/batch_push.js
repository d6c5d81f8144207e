'use strict';
// 1,000 docs made in a local PouchDB are pushed; then every k-th is deleted
// and pushed again; a fresh local PouchDB pulls everything back.
// Payload: {remote: url, n, delete_every, batch_size}.
const {local, remote, main, summary, dump} = require('./_common');

main(async ({remote: url, n = 1000, delete_every = 10, batch_size = 100}) => {
  const db = remote(url);
  const a = local('a');
  const docs = Array.from({length: n}, (_, i) => ({
    _id: `b-${String(i).padStart(5, '0')}`,
    i,
    payload: 'x'.repeat(i % 50),
    tags: ['batch', `mod7-${i % 7}`],
  }));
  const created = await a.bulkDocs(docs);
  if (created.some((r) => !r.ok)) throw new Error('local bulkDocs failed');

  const t0 = Date.now();
  const push1 = await a.replicate.to(db, {batch_size});
  const push1Ms = Date.now() - t0;

  const toDelete = created.filter((_, i) => i % delete_every === 0)
    .map((r) => ({_id: r.id, _rev: r.rev, _deleted: true}));
  const deleted = await a.bulkDocs(toDelete);
  if (deleted.some((r) => !r.ok)) throw new Error('local delete failed');
  const push2 = await a.replicate.to(db, {batch_size});

  const b = local('b');
  const t1 = Date.now();
  const pull = await b.replicate.from(db, {batch_size});
  const pullMs = Date.now() - t1;

  return {
    push1: summary(push1),
    push1_ms: push1Ms,
    push2: summary(push2),
    pull: summary(pull),
    pull_ms: pullMs,
    deleted_ids: toDelete.map((d) => d._id),
    source: await dump(a),
    fresh: await dump(b),
    fresh_info: await b.info(),
  };
});
