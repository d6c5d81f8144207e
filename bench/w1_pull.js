'use strict';
// W1: pull a whole database into a fresh PouchDB (memory adapter), default
// replication options (batch_size 100, batches_limit 10).
//
// payload: {remote: {url, username?, password?}, expect: N}
//      or  {floor: true, data_file: "docs.json", expect: N}
//   floor: the same pull from a PouchDB memory database holding the same
//   documents (loaded untimed from data_file) - the client's own cost.

const fs = require('fs');
const { memoryDb, remoteDb, loadWithRevs, timedReplication, main } = require('./lib');

main(async (p) => {
  let source;
  if (p.floor) {
    source = memoryDb('w1-floor-source');
    await loadWithRevs(source, JSON.parse(fs.readFileSync(p.data_file, 'utf8')));
  } else {
    source = remoteDb(p.remote);
  }
  const target = memoryDb('w1-tablet');
  const timing = await timedReplication(source, target);

  const info = await target.info();
  if (p.expect != null && info.doc_count !== p.expect) {
    throw new Error(`pulled ${info.doc_count} docs, expected ${p.expect}`);
  }
  // spot check: a sample document arrived with its revision and body
  if (p.sample) {
    const doc = await target.get(p.sample._id);
    if (doc._rev !== p.sample._rev) {
      throw new Error(`sample ${p.sample._id}: rev ${doc._rev}, expected ${p.sample._rev}`);
    }
  }
  return { ...timing, doc_count: info.doc_count };
});
