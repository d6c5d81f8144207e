'use strict';
// W2: push new documents from a PouchDB (memory adapter) to a database,
// default replication options.
//
// payload: {push_file: "new.json", remote: {url, username?, password?}}
//      or  {push_file: "new.json", floor: true, data_file: "docs.json"}
//   The new documents are created in the tablet database untimed (as a
//   worker would have recorded them offline); only the replication is timed.
//   floor: the target is a PouchDB memory database preloaded (untimed) with
//   the same documents the servers hold.

const fs = require('fs');
const { memoryDb, remoteDb, loadWithRevs, createDocs, timedReplication, main } = require('./lib');

main(async (p) => {
  const fresh = JSON.parse(fs.readFileSync(p.push_file, 'utf8'));
  const source = memoryDb('w2-tablet');
  await createDocs(source, fresh);

  let target;
  if (p.floor) {
    target = memoryDb('w2-floor-target');
    await loadWithRevs(target, JSON.parse(fs.readFileSync(p.data_file, 'utf8')));
  } else {
    target = remoteDb(p.remote);
  }
  const before = (await target.info()).doc_count;
  const timing = await timedReplication(source, target);
  const after = (await target.info()).doc_count;
  if (timing.docs_written !== fresh.length || after - before !== fresh.length) {
    throw new Error(`pushed ${timing.docs_written} docs, target grew by ${after - before}, ` +
                    `expected ${fresh.length}`);
  }
  return { ...timing, target_doc_count: after };
});
