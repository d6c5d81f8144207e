// Remote wipe: a revoked tablet pushes what it has not yet uploaded, erases
// everything it holds (its PouchDB databases, every IndexedDB database, the
// service worker's caches, localStorage), says so on screen, and reports
// "wiped" to the server, which then shows it on the console's 设备 page.
//
// The server tells a revoked tablet by 401 {"error": "device_revoked",
// "wipe": true} on every read; a push (_revs_diff, _bulk_docs, _local) still
// works until the tablet reports the wipe, so unsent visits are not lost.
// The wipe waits until the server holds every pending revision: a push cut
// short by the network is retried at the next contact, never erased.

import { serverUrl, session } from './api.js';
import { t } from './i18n.js';
import { counts, settle } from './outbox.js';
import { db, openRemote } from './db.js';
import { onSync, stopSync } from './sync.js';

const REPORT_KEY = 'gv.wipe-report';     // a revoked token kept only until the server hears "wiped"
const CHECK_EVERY = 20000;
let running = null, watching = false;

/** True when the server says this tablet's token was revoked and it must wipe. */
export async function mustWipe(s = session()) {
  if (!s?.token) return false;
  try {
    const response = await fetch(serverUrl('api/me'), {
      headers: { Authorization: `Bearer ${s.token}` }, credentials: 'omit',
    });
    if (response.status !== 401) return false;
    const body = await response.json();
    return body.error === 'device_revoked' && body.wipe === true;
  } catch {
    return false;                         // offline: ask again at the next contact
  }
}

// The words of the wiped screen, read before the wipe clears the language choice.
let words = null;
const wordsNow = () => ({ title: t('wipeTitle'), body: t('wipeBody'), again: t('wipeAgain') });

function show(text, done = false) {
  const w = words || wordsNow();
  document.body.classList.add('wiped');           // the router draws no screen from now on
  let view = document.getElementById('view');
  if (view) {                                      // a screen still drawing writes to the old one
    const fresh = view.cloneNode(false);
    view.replaceWith(fresh);
    view = fresh;
  } else view = document.body;
  view.innerHTML = '';
  const main = document.createElement('section');
  main.id = done ? 'wiped' : 'wiping';
  const h1 = document.createElement('h1');
  h1.textContent = done ? w.title : text;
  main.append(h1);
  if (done) {
    for (const line of [w.body, w.again]) {
      const p = document.createElement('p');
      p.textContent = line;
      main.append(p);
    }
  }
  view.append(main);
}

// Everything the app keeps on the tablet, gone.
async function erase() {
  const local = db();
  if (local) { try { await local.destroy(); } catch { /* deleted below anyway */ } }
  if (indexedDB.databases) {
    for (const { name } of await indexedDB.databases()) {
      await new Promise((done) => {
        const req = indexedDB.deleteDatabase(name);
        req.onsuccess = req.onerror = req.onblocked = () => done();
      });
    }
  }
  if (window.caches) for (const name of await caches.keys()) await caches.delete(name);
  if (navigator.serviceWorker) {
    for (const reg of await navigator.serviceWorker.getRegistrations()) await reg.unregister();
  }
  localStorage.clear();
  sessionStorage.clear();
}

/** Tell the server this tablet is wiped; kept for the next start when offline. */
export async function reportWiped(token = localStorage.getItem(REPORT_KEY)) {
  if (!token) return;
  try {
    const response = await fetch(serverUrl('api/device/wiped'), {
      method: 'POST', headers: { Authorization: `Bearer ${token}` }, credentials: 'omit',
    });
    if (response.ok || response.status === 401) localStorage.removeItem(REPORT_KEY);
    else localStorage.setItem(REPORT_KEY, token);
  } catch {
    localStorage.setItem(REPORT_KEY, token);
  }
}

/** Push what is pending, then erase and report; false when the push did not finish. */
export async function wipe(s = session()) {
  stopSync();
  words = wordsNow();
  show(t('wipePushing'));
  const local = db();
  if (local) {
    const remote = openRemote(s);
    try {
      await local.replicate.to(remote, { batch_size: 100 });
      await settle(local, remote);
    } catch { /* counted below */ }
    if ((await counts(local)).pending > 0) return false;     // not all up yet: next contact
  }
  await erase();
  await reportWiped(s.token);
  show('', true);
  return true;
}

/**
 * Check now, and again at each contact: when sync is refused (401), when it
 * changes phase (a live pull refused by a revoked token only backs off) and
 * when the network comes back; at most once per CHECK_EVERY ms.
 */
export function watchForWipe() {
  reportWiped();                                    // a wipe whose report did not get through
  if (watching) return;
  watching = true;
  let last = 0, phase = null;
  const check = async (force = false) => {
    if (running || (!force && Date.now() - last < CHECK_EVERY)) return;
    last = Date.now();
    running = (async () => {
      try {
        if (await mustWipe()) await wipe();
      } finally { running = null; }
    })();
  };
  onSync((state) => {
    if (state.auth) check(true);
    else if (state.phase !== phase) check();
    phase = state.phase;
  });
  window.addEventListener('online', () => check(true));
  check(true);
}
