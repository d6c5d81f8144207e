'use strict';
// Pull the server into a fresh local PouchDB and report everything in it.
// Payload: {remote: url, batch_size, open_revs_ids: [ids]}.
const {local, remote, main, summary, dump, openRevs} = require('./_common');

main(async ({remote: url, batch_size = 100, open_revs_ids = []}) => {
  const b = local('b');
  const t0 = Date.now();
  const pull = await b.replicate.from(remote(url), {batch_size});
  const ms = Date.now() - t0;
  const trees = {};
  for (const id of open_revs_ids) trees[id] = await openRevs(b, id);
  return {pull: summary(pull), ms, fresh: await dump(b), info: await b.info(), trees};
});
