'use strict';
// Shared helpers for the sync benchmark scripts (node, CommonJS).
//
// Every script reads one JSON payload on stdin and prints one JSON object as
// its last line of stdout; sync_bench.py drives them.

const fs = require('fs');
const PouchDB = require('pouchdb');
PouchDB.plugin(require('pouchdb-adapter-memory'));

function readPayload() {
  return JSON.parse(fs.readFileSync(0, 'utf8'));
}

function memoryDb(prefix) {
  const name = `${prefix}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return new PouchDB(name, { adapter: 'memory' });
}

// A remote database: {url, username, password} (credentials optional).
function remoteDb(remote) {
  const opts = {};
  if (remote.username) {
    opts.auth = { username: remote.username, password: remote.password };
  }
  return new PouchDB(remote.url, opts);
}

// Load documents that carry their revisions (_rev, _revisions) as they are.
async function loadWithRevs(db, docs, chunk = 1000) {
  for (let i = 0; i < docs.length; i += chunk) {
    const res = await db.bulkDocs(docs.slice(i, i + chunk), { new_edits: false });
    const bad = res.filter((r) => r.error);
    if (bad.length) throw new Error(`load failed: ${JSON.stringify(bad.slice(0, 3))}`);
  }
}

// Create documents as a tablet would (new edits, PouchDB assigns revs).
async function createDocs(db, docs, chunk = 500) {
  for (let i = 0; i < docs.length; i += chunk) {
    const res = await db.bulkDocs(docs.slice(i, i + chunk));
    const bad = res.filter((r) => r.error);
    if (bad.length) throw new Error(`create failed: ${JSON.stringify(bad.slice(0, 3))}`);
  }
}

// Run one one-shot replication with default options and time it.
async function timedReplication(source, target) {
  const t0 = process.hrtime.bigint();
  const result = await PouchDB.replicate(source, target);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!result.ok || result.status !== 'complete' || result.doc_write_failures) {
    throw new Error(`replication not clean: ${JSON.stringify(result)}`);
  }
  return {
    ms,
    docs_read: result.docs_read,
    docs_written: result.docs_written,
    doc_write_failures: result.doc_write_failures,
  };
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function main(fn) {
  fn(readPayload()).then(emit, (err) => {
    process.stderr.write((err && err.stack) || String(err));
    process.stderr.write('\n');
    process.exit(1);
  });
}

module.exports = {
  PouchDB, readPayload, memoryDb, remoteDb, loadWithRevs, createDocs,
  timedReplication, emit, main,
};
