// Live two-way sync with the server, and the sync state the status bar shows.
//
// PouchDB's live sync retries with back-off while the network is away; when
// the tablet comes back online the sync restarts at once, so everything
// pending goes up together. "Synced" is only ever shown after the server
// confirmed it holds every pending revision (outbox.settle), never because a
// replication paused.

import { counts, lastSync, markRefused, setLastSync, settle } from './outbox.js';

const MAX_BACKOFF = 60000;
const state = {
  online: navigator.onLine, phase: 'idle', error: null, auth: false,
  lastSync: null, pending: 0, refused: 0,
  lastAttempt: null, nextAttempt: null,   // ms: the failed try, the retry PouchDB has planned
};
const listeners = new Set();
let local = null, remote = null, handle = null, settling = null, again = false;

/** The current sync state (a copy). */
export const syncState = () => ({ ...state });

/** Call fn(state) on every change of the sync state; returns an unsubscribe. */
export function onSync(fn) {
  listeners.add(fn);
  fn(syncState());
  return () => listeners.delete(fn);
}

function update(changes) {
  Object.assign(state, changes);
  for (const fn of listeners) fn(syncState());
}

/** Recount pending and refused documents (after a local write, too). */
export async function recount() {
  if (local) update(await counts(local));
}

// Ask the server what it holds; one round at a time, another queued if asked meanwhile.
async function confirm() {
  if (settling) { again = true; return settling; }
  settling = (async () => {
    do {
      again = false;
      try {
        await settle(local, remote);
        const c = await counts(local);
        const clean = !state.error;
        if (clean && c.pending === 0) {
          const now = new Date().toISOString();
          setLastSync(now);
          update({ ...c, lastSync: now });
        } else {
          update(c);
        }
      } catch (err) {
        update({ error: describe(err) });
      }
    } while (again);
  })();
  try { await settling; } finally { settling = null; }
  return undefined;
}

// What went wrong, as the bar says it: 'network' only when the tablet itself
// is offline; a server that does not answer while the tablet is online is
// 'unreachable', never shown as plain "offline" (nor as a green 在线).
function describe(err) {
  if (!err) return null;
  if (err.status === 401) return 'unauthorized';
  if (!navigator.onLine) return 'network';
  if (err.status >= 500) return 'server';
  if (err.status === 0 || err.name === 'TypeError' || /fetch|network/i.test(err.message || '')) {
    return 'unreachable';
  }
  return err.reason || err.message || err.name || String(err);
}

function backOff(delay) {
  const next = delay ? Math.min(MAX_BACKOFF, delay * 2) : 1000 + Math.random() * 1000;
  update({ lastAttempt: Date.now(), nextAttempt: Date.now() + next });
  return next;
}

function wire(sync) {
  const live = (fn) => (...args) => { if (handle === sync) fn(...args); };  // not a cancelled one
  sync.on('active', live(() => update({ phase: 'active' })));
  sync.on('paused', live((err) => {
    if (err) {
      const error = describe(err);
      update({ phase: 'error', error, auth: error === 'unauthorized' });
      if (error === 'unauthorized') stopSync();
      return;
    }
    update({ phase: 'paused', error: null, lastAttempt: null, nextAttempt: null });
    confirm();
  }));
  sync.on('change', live((info) => { if (info.direction === 'push') confirm(); }));
  sync.on('denied', async (event) => {
    const err = event.doc || event;               // a sync wraps it: {direction, doc}
    if (event.direction === 'pull' || !err.id) return;
    let rev = null;
    try { rev = (await local.get(err.id))._rev; } catch { /* gone */ }
    markRefused(err.id, rev, err.reason || err.message);
    recount();
  });
  sync.on('error', live((err) => {
    const error = describe(err);
    update({ phase: 'error', error, auth: error === 'unauthorized', lastAttempt: Date.now() });
  }));
}

/** Start (or restart) live two-way sync between the local db and remote. */
export function startSync(localDb, remoteDb) {
  stopSync();
  local = localDb;
  remote = remoteDb;
  update({ lastSync: lastSync(), online: navigator.onLine, auth: false });
  handle = local.sync(remote, {
    live: true, retry: true, batch_size: 250, batches_limit: 4, back_off_function: backOff,
  });
  wire(handle);
  recount();
}

/** Stop syncing (logout, a revoked token). */
export function stopSync() {
  if (handle) { handle.cancel(); handle = null; }
}

/** The server no longer accepts this tablet's token (revoked): stop and say so. */
export function authFailed() {
  stopSync();
  update({ phase: 'error', error: 'unauthorized', auth: true });
}

/** Restart now (the network came back, or the person asked). */
export function syncNow() {
  if (local && remote) startSync(local, remote);
}

window.addEventListener('online', () => { update({ online: true }); syncNow(); });
window.addEventListener('offline', () => update({ online: false, phase: 'error', error: 'network' }));
