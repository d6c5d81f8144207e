'use strict';
// pouchdb-server -> gridvisit -> fresh local PouchDB (memory), each hop a
// real PouchDB replication; then report the revision trees of the local
// copy for every doc id (db.get(id, {open_revs: 'all', revs: true})).
// Payload: {source: url, middle: url, ids: [ids]}.
const {local, main, summary, PouchDB, dump, openRevs, getOrNull} = require('./_common');

main(async ({source, middle, ids}) => {
  const hop1 = await PouchDB.replicate(source, middle);
  const hop1Again = await PouchDB.replicate(source, middle);
  const c = local('c');
  const hop2 = await PouchDB.replicate(middle, c);
  const trees = {};
  const winners = {};
  for (const id of ids) {
    trees[id] = await openRevs(c, id);
    const doc = await getOrNull(c, id, {conflicts: true});
    winners[id] = doc ? {rev: doc._rev, conflicts: (doc._conflicts || []).slice().sort()}
      : {rev: null, conflicts: null};
  }
  const localIds = Object.keys(await dump(c)).sort();
  return {
    hop1: summary(hop1),
    hop1_again: summary(hop1Again),
    hop2: summary(hop2),
    local_ids: localIds,
    trees,
    winners,
  };
});
