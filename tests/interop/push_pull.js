'use strict';
// Push a local PouchDB to the server, then pull the server into a fresh
// local PouchDB. Payload: {remote: url, n: number of docs}.
const {local, remote, main, summary, dump} = require('./_common');

function sampleDoc(i) {
  return {
    _id: `doc-${String(i).padStart(4, '0')}`,
    type: 'sample',
    i,
    name: `住户 ${i} 号`,
    floats: [0.5, -3.25, 1e-7, 12345.678],
    flags: {met: i % 2 === 0, refused: false, nothing: null},
    nested: {a: {b: {c: [i, String(i), {d: []}]}}, empty: {}},
    emoji: '🏠✅',
  };
}

main(async ({remote: url, n = 20}) => {
  const db = remote(url);
  const a = local('a');
  await a.bulkDocs(Array.from({length: n}, (_, i) => sampleDoc(i)));
  // one doc with three revisions, one deleted doc
  let res = await a.put({_id: 'edited', v: 1});
  res = await a.put({_id: 'edited', _rev: res.rev, v: 2});
  res = await a.put({_id: 'edited', _rev: res.rev, v: 3, note: '第三版'});
  res = await a.put({_id: 'gone', v: 1});
  await a.remove('gone', res.rev);

  const push = await a.replicate.to(db);
  const pushAgain = await a.replicate.to(db);

  const b = local('b');
  const pull = await b.replicate.from(db);
  const pullAgain = await b.replicate.from(db);

  const editedRevs = await b.get('edited', {revs: true});
  return {
    push: summary(push),
    push_again: summary(pushAgain),
    pull: summary(pull),
    pull_again: summary(pullAgain),
    source: await dump(a),
    fresh: await dump(b),
    fresh_edited_revisions: editedRevs._revisions,
    source_edited_revisions: (await a.get('edited', {revs: true}))._revisions,
    remote_info: await db.info(),
  };
});
