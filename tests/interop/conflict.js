'use strict';
// Two local PouchDBs A and B get doc "x" at the same rev 1 through the
// server, edit it differently while offline, then both sync through the
// server (several rounds, until nothing moves). Reports what each of A, B
// and the server (through PouchDB's HTTP adapter) consider the winner and
// the conflicts; the Python test also asks the server directly over HTTP.
// Payload: {remote: url, id, extra_edits_b}.
const {local, remote, main, summary, PouchDB} = require('./_common');

async function view(db, id) {
  const doc = await db.get(id, {conflicts: true});
  const leaves = await db.get(id, {open_revs: 'all', revs: true});
  return {
    rev: doc._rev,
    conflicts: (doc._conflicts || []).slice().sort(),
    doc,
    leaves: leaves.map((r) => (r.ok ? {rev: r.ok._rev, deleted: !!r.ok._deleted,
                                        revisions: r.ok._revisions} : r)),
  };
}

main(async ({remote: url, id = 'x', extra_edits_b = 0}) => {
  const server = remote(url);
  const a = local('a');
  const b = local('b');
  const r1 = await a.put({_id: id, v: 0, text: '原始'});
  const seed = summary(await a.replicate.to(server));
  const fetchB = summary(await b.replicate.from(server));
  const bRev1 = (await b.get(id))._rev;

  // offline edits
  const docA = await a.get(id);
  docA.v = 'A';
  docA.edited_by = 'A';
  const ra = await a.put(docA);
  let docB = await b.get(id);
  docB.v = 'B';
  docB.edited_by = 'B';
  let rb = await b.put(docB);
  for (let i = 0; i < extra_edits_b; i += 1) {
    docB = await b.get(id);
    docB.n = i + 1;
    rb = await b.put(docB);
  }

  // both sync through the server, in turns, until a round moves nothing
  const rounds = [];
  for (let round = 0; round < 4; round += 1) {
    const sa = await PouchDB.sync(a, server);
    const sb = await PouchDB.sync(b, server);
    const moved = [sa.push, sa.pull, sb.push, sb.pull]
      .reduce((t, r) => t + r.docs_written, 0);
    rounds.push({
      a_push: summary(sa.push), a_pull: summary(sa.pull),
      b_push: summary(sb.push), b_pull: summary(sb.pull), moved,
    });
    if (round >= 1 && moved === 0) break;
  }

  return {
    rev1: r1.rev,
    b_rev1: bRev1,
    seed,
    fetch_b: fetchB,
    rev_a: ra.rev,
    rev_b: rb.rev,
    rounds,
    a: await view(a, id),
    b: await view(b, id),
    server: await view(server, id),
  };
});
