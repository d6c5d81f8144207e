'use strict';
// Shared helpers for the interop scripts: a real PouchDB 9 (node), local
// databases in memory, remote databases by URL (credentials may be embedded
// in the URL as user:pass@host; PouchDB turns them into Basic auth).
//
// Every script reads one JSON payload on stdin, does its work and prints ONE
// JSON line with the facts it observed; the Python tests assert on them.

const PouchDB = require('pouchdb');
PouchDB.plugin(require('pouchdb-adapter-memory'));

let counter = 0;

function local(tag) {
  counter += 1;
  return new PouchDB(`local_${tag || 'db'}_${process.pid}_${counter}`, {adapter: 'memory'});
}

// INTEROP_TRACE=1 in the environment logs every HTTP request PouchDB makes
// (method, URL, status; bodies of error responses) to stderr.
function tracingFetch(url, opts) {
  const started = Date.now();
  return PouchDB.fetch(url, opts).then(async (res) => {
    let note = '';
    if (res.status >= 400) {      // small error bodies only: a big clone stalls
      note = ' ' + (await res.clone().text()).slice(0, 500);
    }
    process.stderr.write(`[trace] ${(opts && opts.method) || 'GET'} ${url} -> ` +
                         `${res.status} (${Date.now() - started} ms)${note}\n`);
    return res;
  }, (err) => {
    process.stderr.write(`[trace] ${(opts && opts.method) || 'GET'} ${url} -> ${err}\n`);
    throw err;
  });
}

function remote(url) {
  return new PouchDB(url, process.env.INTEROP_TRACE ? {fetch: tracingFetch} : {});
}

function readPayload() {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { data += chunk; });
    process.stdin.on('end', () => {
      try { resolve(data.trim() ? JSON.parse(data) : {}); } catch (err) { reject(err); }
    });
    process.stdin.on('error', reject);
  });
}

function describeError(err) {
  if (!err) return String(err);
  const out = {message: err.message || String(err)};
  for (const key of ['name', 'status', 'error', 'reason', 'docId', 'id']) {
    if (err[key] !== undefined) out[key] = err[key];
  }
  if (err.result) out.result = summary(err.result);
  return out;
}

// Run `fn(payload)`; print its result as the last stdout line. A thrown
// error exits non-zero with the error on stderr (the test then fails).
function main(fn) {
  readPayload()
    .then(fn)
    .then((result) => {
      // exit only once the (possibly large) line is flushed to the pipe
      process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
    }, (err) => {
      process.stderr.write('interop script failed: ' + JSON.stringify(describeError(err)) + '\n');
      const stack = (err && err.stack) ? err.stack + '\n' : '';
      process.stderr.write(stack, () => process.exit(1));
    });
}

// The parts of a PouchDB replication result that a test cares about.
function summary(res) {
  if (!res) return res;
  return {
    ok: res.ok,
    status: res.status,
    docs_read: res.docs_read,
    docs_written: res.docs_written,
    doc_write_failures: res.doc_write_failures,
    errors: (res.errors || []).map(describeError),
    last_seq: res.last_seq,
  };
}

// Every document of `db` (deleted ones included) by id:
// {rev, deleted, doc (winning body with _conflicts, null when deleted)}.
async function dump(db) {
  const out = {};
  const changes = await db.changes({since: 0, include_docs: true, conflicts: true,
                                   style: 'main_only', return_docs: true});
  for (const row of changes.results) {
    if (row.id.startsWith('_design/')) continue;
    out[row.id] = {
      rev: row.changes[0].rev,
      deleted: !!row.deleted,
      doc: row.deleted ? null : row.doc,
    };
  }
  return out;
}

// The whole revision tree view of one doc: every leaf with its history.
async function openRevs(db, id) {
  const rows = await db.get(id, {open_revs: 'all', revs: true});
  return rows;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Poll `check()` until it returns a truthy value or `timeoutMs` passes.
async function waitFor(check, timeoutMs, intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) return null;
    await sleep(intervalMs);
  }
}

async function getOrNull(db, id, opts) {
  try {
    return await db.get(id, opts || {});
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

module.exports = {PouchDB, local, remote, main, summary, dump, openRevs, sleep,
                  waitFor, getOrNull, describeError};
