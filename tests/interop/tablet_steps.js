'use strict';
// One step in the life of a tablet whose PouchDB lives on disk (leveldb in
// `dir`), so it outlasts this process: write, delete, then sync once (push,
// then pull). Payload: {dir, remote, put: [docs], update: {id: fields},
// remove: [ids]}. Prints the local documents (winning rev and body, or
// deleted) and the replication summaries.
const path = require('path');
const {PouchDB, remote, main, summary} = require('./_common');

main(async ({dir, remote: url, put = [], update = {}, remove = []}) => {
  const db = new PouchDB(path.join(dir, 'tablet'));
  if (put.length) await db.bulkDocs(put);
  for (const [id, fields] of Object.entries(update)) {
    const doc = await db.get(id);
    await db.put(Object.assign(doc, fields));
  }
  for (const id of remove) await db.remove(await db.get(id));
  const server = remote(url);
  const push = await db.replicate.to(server);
  const pull = await db.replicate.from(server);
  const docs = {};
  const changes = await db.changes({include_docs: true});
  for (const row of changes.results) {
    docs[row.id] = row.deleted ? {deleted: true, rev: row.changes[0].rev} : row.doc;
  }
  await db.close();
  return {push: summary(push), pull: summary(pull), docs};
});
