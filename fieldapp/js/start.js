// Opening a signed-in account's work: its local database, the index the
// screens read, live sync, and (with a network) the server's word on who the
// worker is now. Called at start and after login; it imports no screen, so
// the login screen can call it without an import cycle.

import { refreshMe, session } from './api.js';
import { db, dropOutside, openLocal, openRemote } from './db.js';
import { pendingIds, refusedDocs, useOutbox } from './outbox.js';
import { refresh } from './router.js';
import { loadIndex } from './store.js';
import { authFailed, startSync } from './sync.js';
import { watchIdle } from './lock.js';
import { watchForWipe } from './wipe.js';
import { watchErasures } from './erasure.js';

const grids = () => session()?.user?.grids || [];

/**
 * Open this account's data (sealed with key; null: a tablet from before
 * sealing, offline until its next sign-in) and start syncing; called at
 * start and after login.
 */
export async function begin(key) {
  const s = session();
  useOutbox(s.user.name);
  openLocal(s.user.name, key);
  if (key) watchIdle();
  navigator.storage?.persist?.().catch(() => {});   // ask the browser never to evict it
  await loadIndex(db(), grids());
  startSync(db(), openRemote(s));
  watchForWipe();      // a revoked tablet pushes what is pending, then erases itself
  watchErasures(db(), () => loadIndex(db(), grids()).then(refresh));   // erased on request
  online();            // not awaited: the app works before the server answers
}

// With a network: who am I now? Grids taken away leave the tablet.
async function online() {
  let user;
  try {
    user = await refreshMe();
  } catch (err) {
    if (err.status === 401) authFailed();
    return;
  }
  if (!user) return;
  const keep = new Set([...pendingIds(), ...Object.keys(refusedDocs())]);
  const dropped = await dropOutside(user.grids || [], keep);
  await loadIndex(db(), grids());
  if (dropped) console.info(`dropped ${dropped} documents outside grids`);
  refresh();
}
