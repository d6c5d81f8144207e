'use strict';
// One timed replication by PouchDB's own replicator (PouchDB 9, node) between
// two remote databases, e.g. a gridvisit server -> pouchdb-server, or
// gridvisit -> gridvisit. Used by bench/replication_bench.py.
//
// payload: {source: url, target: url, batch_size?: n, batches_limit?: n}
//          (credentials may be embedded in the URLs; PouchDB's defaults are
//          batch_size 100, batches_limit 10)
// prints:  {ms, ok, status, docs_read, docs_written, doc_write_failures,
//           errors, last_seq}; ms covers PouchDB.replicate() only. A
//          replication that is not complete and clean fails the script.

const { PouchDB, remote, main, summary } = require('./_common.js');

main(async (p) => {
  const opts = {};
  if (p.batch_size) opts.batch_size = p.batch_size;
  if (p.batches_limit) opts.batches_limit = p.batches_limit;
  const source = remote(p.source);
  const target = remote(p.target);
  const started = process.hrtime.bigint();
  const res = await PouchDB.replicate(source, target, opts);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const out = { ms, ...summary(res) };
  if (!res.ok || res.status !== 'complete' || res.doc_write_failures) {
    throw new Error(`replication not clean: ${JSON.stringify(out)}`);
  }
  return out;
});
