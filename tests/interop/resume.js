'use strict';
// An interrupted replication resumes from its checkpoint.
// Push: a local PouchDB with `n` docs replicates to the server with
// batch_size `batch`; it is cancelled once `stop_after` docs were written;
// a second run must start from the checkpoint, not from 0.
// Pull: a fresh local PouchDB pulls the same server db, is cancelled the
// same way, and resumes (so the server's own seqs are used as `since`).
// Payload: {remote: url, n, batch, stop_after}.
const {local, remote, main, summary} = require('./_common');

// Run one replication, counting the changes it looked at (every change goes
// through _revs_diff) and the checkpoints it wrote; cancel after
// `stopAfter` docs written if given.
async function run(rep, stopAfter) {
  const seen = {changes_processed: 0, checkpoints: [], change_events: 0,
                written_at_cancel: null, first_seq: null};
  rep.on('checkpoint', (info) => {
    if (info.revs_diff) {
      seen.changes_processed += 1;
      if (seen.first_seq === null) seen.first_seq = info.revs_diff.seq;
    }
    if (info.checkpoint !== undefined) seen.checkpoints.push(info.checkpoint);
  });
  rep.on('change', (info) => {
    seen.change_events += 1;
    if (stopAfter && info.docs_written >= stopAfter && seen.written_at_cancel === null) {
      seen.written_at_cancel = info.docs_written;
      rep.cancel();
    }
  });
  const result = await rep;
  return {...seen, checkpoints_written: seen.checkpoints.length, checkpoints: undefined,
          result: summary(result)};
}

main(async ({remote: url, n = 2000, batch = 100, stop_after = 500}) => {
  const server = remote(url);
  const a = local('a');
  const docs = Array.from({length: n}, (_, i) => ({_id: `r-${String(i).padStart(5, '0')}`, i}));
  await a.bulkDocs(docs);

  const opts = {batch_size: batch, batches_limit: 1};
  const push1 = await run(a.replicate.to(server, opts), stop_after);
  const serverAfterPush1 = (await server.info()).doc_count;
  const push2 = await run(a.replicate.to(server, opts));
  const push3 = await run(a.replicate.to(server, opts));
  const serverInfo = await server.info();

  const b = local('b');
  const pull1 = await run(b.replicate.from(server, opts), stop_after);
  const localAfterPull1 = (await b.info()).doc_count;
  const pull2 = await run(b.replicate.from(server, opts));
  const pull3 = await run(b.replicate.from(server, opts));

  return {
    n,
    batch,
    push1, push2, push3,
    server_after_push1: serverAfterPush1,
    server_doc_count: serverInfo.doc_count,
    pull1, pull2, pull3,
    local_after_pull1: localAfterPull1,
    local_doc_count: (await b.info()).doc_count,
  };
});
