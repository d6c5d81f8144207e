'use strict';
// One timed pull of a remote database into a fresh PouchDB (memory adapter),
// default replication options, authenticated by a device token
// (Authorization: Bearer through PouchDB's `fetch` option), as a tablet does.
// Used by bench/filter_bench.py.
//
// Payload: {url, token, expect: N, sample: {_id, _rev}?}
// Prints: {ms, docs_read, docs_written, doc_count, requests: {kind: count}}
// where ms is the time of PouchDB.replicate() alone and `requests` counts
// the HTTP requests it made by endpoint (_changes, _bulk_get, _local, ...).
const {PouchDB, local, main} = require('./_common');

main(async ({url, token, expect, sample}) => {
  const requests = {};
  const remote = new PouchDB(url, {
    fetch: (u, opts) => {
      opts.headers.set('Authorization', 'Bearer ' + token);
      const path = new URL(String(u)).pathname.split('/');
      const kind = path.find((part) => part.startsWith('_')) || 'db';
      requests[kind] = (requests[kind] || 0) + 1;
      return PouchDB.fetch(u, opts);
    },
  });
  const target = local('pull');
  const t0 = process.hrtime.bigint();
  const result = await PouchDB.replicate(remote, target);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!result.ok || result.status !== 'complete' || result.doc_write_failures) {
    throw new Error(`replication not clean: ${JSON.stringify(result)}`);
  }
  const info = await target.info();
  if (expect != null && info.doc_count !== expect) {
    throw new Error(`pulled ${info.doc_count} docs, expected ${expect}`);
  }
  if (sample) {
    const doc = await target.get(sample._id);
    if (doc._rev !== sample._rev) {
      throw new Error(`sample ${sample._id}: rev ${doc._rev}, expected ${sample._rev}`);
    }
  }
  return {ms, docs_read: result.docs_read, docs_written: result.docs_written,
          doc_count: info.doc_count, requests};
});
