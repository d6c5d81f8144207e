// Remote-to-remote replication with a real PouchDB 9 (node): the two servers
// talk only through PouchDB, as two hubs syncing would.
//
// payload: {steps: [{source: url, target: url}, ...]} (credentials may be
//          embedded in the URLs)
// prints:  {results: [summary, ...]} in step order; a replication that is not
//          complete and clean fails the script.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { PouchDB, remote, main, summary } = require('./_common.js');

main(async (p) => {
  const results = [];
  for (const step of p.steps) {
    const res = await PouchDB.replicate(remote(step.source), remote(step.target));
    if (!res.ok || res.status !== 'complete' || res.doc_write_failures) {
      throw new Error(`replication not clean: ${JSON.stringify(summary(res))}`);
    }
    results.push(summary(res));
  }
  return { results };
});
