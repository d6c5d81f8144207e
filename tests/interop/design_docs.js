'use strict';
// Design documents as PouchDB uses them against a server: filtered
// replication with `filter: 'ddoc/name'` (and query_params) and with
// `filter: '_view'`, and a push where the server's validate_doc_update
// refuses one document: a 'denied' event, and the rest replicated.
// Payload: {remote: url}. Prints what each replication brought and did.
const {local, remote, main, summary, describeError} = require('./_common');

const DDOC = {
  _id: '_design/app',
  filters: {by_tag: 'function (doc, req) { return doc.tag === req.query.tag; }'},
  views: {odd: {map: 'function (doc) { if (doc.n % 2) { emit(doc.n); } }'}},
  validate_doc_update: 'function (newDoc) { if (newDoc.n < 0) { ' +
    "throw({forbidden: 'n must not be negative'}); } }",
};

async function ids(db) {
  const all = await db.allDocs();
  return all.rows.map((row) => row.id).filter((id) => !id.startsWith('_design/'));
}

main(async ({remote: url}) => {
  const server = remote(url);
  await server.put(DDOC);
  await server.bulkDocs(Array.from({length: 10}, (_, n) =>
    ({_id: `d${n}`, n, tag: 'abc'[n % 3]})));

  const byTag = local('by_tag');
  const tagRun = await byTag.replicate.from(server,
    {filter: 'app/by_tag', query_params: {tag: 'c'}});
  const byView = local('by_view');
  const viewRun = await byView.replicate.from(server, {filter: '_view', view: 'app/odd'});

  const tablet = local('tablet');
  await tablet.bulkDocs([{_id: 'p1', n: 1}, {_id: 'p2', n: -1}, {_id: 'p3', n: 3},
                         {_id: 'p4', n: -4}, {_id: 'p5', n: 5}]);
  const denied = [];
  const push = tablet.replicate.to(server);
  push.on('denied', (err) => denied.push(describeError(err)));
  const pushRun = await push;
  const serverIds = await ids(server);

  const viewed = await server.query('app/odd', {limit: 3});
  return {
    by_tag: await ids(byTag), by_tag_run: summary(tagRun),
    by_view: await ids(byView), by_view_run: summary(viewRun),
    push: summary(pushRun), denied, pushed: serverIds.filter((id) => id.startsWith('p')),
    query: viewed.rows.map((row) => [row.id, row.key]),
  };
});
