'use strict';
// One grid worker's tablet, driven line by line by tests/test_interop_access.py.
//
// Unlike the other interop scripts (one payload in, one line out), a tablet
// must outlive several steps of a test: the admin changes assignments or
// revokes the device between two syncs of the SAME local PouchDB (memory
// adapter), so that the replication finds its own checkpoint again. So this
// script reads one JSON command per stdin line and answers each with one
// JSON line on stdout: {"n": <echo>, "ok": true, "result": ...} or
// {"n": <echo>, "ok": false, "error": {...}}.
//
// Commands ({"cmd": name, ...}):
//   login   {api, name, password, device, cookies}
//                                            POST {api}/login; keeps the token
//   logout  {api, cookies}                   POST {api}/logout with the token
//   wiped   {api}                            POST {api}/device/wiped with the token
//                                            (a revoked tablet reports it erased itself)
//   open    {url, auth: "bearer"|"url", hop} the remote field db; "bearer" adds
//           Authorization: Bearer <token> through PouchDB's `fetch` option,
//           "url" expects Basic credentials embedded in the URL; `hop`, a
//           list of other servers' origins (http://host:port), sends each
//           request to the next server in turn (url's own origin first)
//   put     {docs}                           bulkDocs into the local db (new edits)
//   ids     {}                               ids in the local db (not _design/)
//   get     {id}                             a local doc or null
//   remote_get {id}                          GET of one doc on the server: status
//   pull    {}   / push {}                   one-shot replication; result summary,
//                                            'denied' events, error, and the HTTP
//                                            requests PouchDB made meanwhile
//   live_start {retry, heartbeat}            PouchDB.sync(local, remote, {live: true})
//   live_wait  {id, timeout_ms}              wait until `id` is in the local db
//   live_wait_paused {timeout_ms}            wait until the sync is idle again
//   live_state {}                            counters, errors, denied, completion
//   live_stop  {timeout_ms}                  cancel and wait for 'complete'
//   sleep   {ms}
//   exit    {}
//
// INTEROP_TRACE=1 logs every request to stderr, as in _common.js.

const readline = require('readline');
const {PouchDB, local, summary, describeError, waitFor, getOrNull} = require('./_common');

const tablet = {
  db: local('tablet'),
  remote: null,
  token: null,
  requests: [],          // {method, url, status, auth} of every request to the server
  live: null,
  hops: null,            // origins the requests take turns on (open's `hop`)
  hopped: 0,
};

function hop(url) {
  if (!tablet.hops) return url;
  const to = new URL(tablet.hops[tablet.hopped++ % tablet.hops.length]);
  const next = new URL(url);
  next.protocol = to.protocol;
  next.host = to.host;
  return next.toString();
}

function loggingFetch(useBearer) {
  return async (url, opts) => {
    url = hop(String(url));
    opts = opts || {};
    if (!opts.headers || typeof opts.headers.set !== 'function') {
      opts.headers = new Headers(opts.headers || {});
    }
    if (useBearer && tablet.token) opts.headers.set('Authorization', 'Bearer ' + tablet.token);
    const authHeader = opts.headers.get('Authorization') || '';
    const entry = {method: (opts && opts.method) || 'GET', url: String(url),
                   auth: authHeader.split(' ')[0] || null, status: null};
    tablet.requests.push(entry);
    try {
      const res = await PouchDB.fetch(url, opts);
      entry.status = res.status;
      if (process.env.INTEROP_TRACE) {
        process.stderr.write(`[tablet] ${entry.method} ${url} -> ${res.status}\n`);
      }
      return res;
    } catch (err) {
      entry.status = String(err);
      throw err;
    }
  };
}

async function replicateOnce(source, target) {
  const denied = [];
  const mark = tablet.requests.length;
  const rep = PouchDB.replicate(source, target);
  rep.on('denied', (err) => denied.push(describeError(err)));
  let result = null;
  let error = null;
  try {
    result = summary(await rep);
  } catch (err) {
    error = describeError(err);
  }
  return {result, error, denied, requests: tablet.requests.slice(mark)};
}

async function localIds() {
  const all = await tablet.db.allDocs();
  return all.rows.map((r) => r.id).filter((id) => !id.startsWith('_design/')).sort();
}

const commands = {
  async login({api, name, password, device, cookies = false}) {
    // cookies: log in through PouchDB.fetch, whose cookie jar (fetch-cookie,
    // shared with the remote PouchDB) then keeps the session cookie the
    // login sets and sends it on every sync request, as a browser would.
    // Without: node's own fetch, so only the token proves who syncs.
    const fetchFun = cookies ? PouchDB.fetch : globalThis.fetch;
    const res = await fetchFun(`${api}/login`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify({name, password, device}),
    });
    const body = await res.json();
    if (res.ok && body.token) tablet.token = body.token;
    return {status: res.status, token_id: body.token_id, has_token: !!body.token,
            user: body.user, field_db: body.field_db, error: body.error};
  },

  async logout({api, cookies = false}) {
    const fetchFun = cookies ? PouchDB.fetch : globalThis.fetch;
    const res = await fetchFun(`${api}/logout`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', Accept: 'application/json',
                Authorization: 'Bearer ' + tablet.token},
    });
    return {status: res.status, body: await res.json()};
  },

  async wiped({api}) {
    const res = await globalThis.fetch(`${api}/device/wiped`, {
      method: 'POST',
      headers: {Accept: 'application/json', Authorization: 'Bearer ' + tablet.token},
    });
    return {status: res.status, body: await res.json()};
  },

  async open({url, auth, hop: others}) {
    tablet.hops = others ? [new URL(url).origin, ...others] : null;
    tablet.remote = new PouchDB(url, {fetch: loggingFetch(auth === 'bearer')});
    return {adapter: tablet.remote.adapter};
  },

  async put({docs}) {
    const res = await tablet.db.bulkDocs(docs);
    return res.map((r) => (r.error ? describeError(r) : {id: r.id, rev: r.rev}));
  },

  async ids() { return localIds(); },

  async get({id}) { return getOrNull(tablet.db, id); },

  async remote_get({id}) {
    try {
      const doc = await tablet.remote.get(id);
      return {status: 200, id: doc._id};
    } catch (err) {
      return {status: err.status, error: describeError(err)};
    }
  },

  async pull() { return replicateOnce(tablet.remote, tablet.db); },

  async push() { return replicateOnce(tablet.db, tablet.remote); },

  async live_start({retry = true, heartbeat}) {
    const state = {paused: 0, active: 0, changes: 0, errors: [], denied: [], completed: null,
                   pull_written: 0};
    const opts = {live: true, retry};
    if (heartbeat) opts.heartbeat = heartbeat;
    const sync = PouchDB.sync(tablet.db, tablet.remote, opts);
    sync.on('paused', (err) => {
      state.paused += 1;
      if (err) state.errors.push(describeError(err));
    });
    sync.on('active', () => { state.active += 1; });
    sync.on('change', (info) => {
      state.changes += 1;
      if (info.direction === 'pull') state.pull_written += info.change.docs_written;
    });
    sync.on('denied', (err) => { state.denied.push(describeError(err)); });
    sync.on('error', (err) => { state.errors.push(describeError(err)); });
    state.done = new Promise((resolve) => {
      sync.on('complete', (info) => {
        state.completed = {push: info && info.push && info.push.status,
                           pull: info && info.pull && info.pull.status};
        resolve();
      });
      sync.on('error', () => resolve());
    });
    tablet.live = {sync, state};
    const idle = await waitFor(() => state.paused > 0 || state.errors.length > 0, 30000);
    return {idle: !!idle, paused: state.paused};
  },

  async live_wait({id, timeout_ms = 10000}) {
    const t0 = Date.now();
    const doc = await waitFor(() => getOrNull(tablet.db, id), timeout_ms);
    return {arrived: !!doc, ms: Date.now() - t0, rev: doc && doc._rev};
  },

  async live_wait_paused({timeout_ms = 10000}) {
    const before = tablet.live.state.paused;
    const seen = await waitFor(() => tablet.live.state.paused > before, timeout_ms);
    return {paused_again: !!seen};
  },

  async live_state() {
    const {done, ...state} = tablet.live.state;   // eslint-disable-line no-unused-vars
    return state;
  },

  async live_stop({timeout_ms = 10000}) {
    const {sync, state} = tablet.live;
    sync.cancel();
    const finished = await Promise.race([
      state.done.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), timeout_ms)),
    ]);
    return {finished, completed: state.completed};
  },

  async requests() { return tablet.requests; },

  async sleep({ms}) { await new Promise((resolve) => setTimeout(resolve, ms)); return null; },
};

const rl = readline.createInterface({input: process.stdin, terminal: false});
let queue = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch (err) {
      process.stdout.write(JSON.stringify({ok: false, error: describeError(err)}) + '\n');
      return;
    }
    if (msg.cmd === 'exit') {
      if (tablet.live) tablet.live.sync.cancel();
      process.stdout.write(JSON.stringify({n: msg.n, ok: true, result: null}) + '\n',
                           () => process.exit(0));
      return;
    }
    const fn = commands[msg.cmd];
    let reply;
    try {
      if (!fn) throw new Error(`unknown command ${msg.cmd}`);
      reply = {n: msg.n, ok: true, result: await fn(msg)};
    } catch (err) {
      reply = {n: msg.n, ok: false, error: describeError(err), stack: err && err.stack};
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  });
});
rl.on('close', () => { queue.then(() => process.exit(0)); });
