// The app lock: at start, and after the community's idle time with no touch
// (LOCK_IDLE_SECONDS, sent by the server), an overlay covers the app until
// the worker's PIN unwraps the data key — offline, nothing asked of the
// server. Sync goes on under the overlay. Too many wrong PINs need the full
// password online (then a new PIN), or wipe the tablet, as the community
// chose (PIN_LOCKOUT). Also the key after an online sign-in: opened with the
// password, made at the first one (with the PIN it is wrapped under too).

import { login, logout, openToken, sealToken, session } from './api.js';
import { destroyLocal, migratePlain } from './db.js';
import { t } from './i18n.js';
import { clearOutbox, useOutbox } from './outbox.js';
import { stopSync } from './sync.js';
import { askNewPin, passwordForm, pinForm } from './screens/lock.js';
import { establish, forgetKeys, hasPin, keyFromPassword, policyOf, tryPin } from './vault.js';

let shown = null;            // the open lock: a promise of the key
let last = Date.now();
let watching = false;
const ACTIVITY = ['pointerdown', 'keydown', 'touchstart', 'wheel', 'input'];

/** Erase this tablet's data, keys, outbox and session (too many wrong PINs, where the community chose wipe). */
export async function wipe(user) {
  stopSync();
  useOutbox(user);
  clearOutbox();
  await destroyLocal(user);
  forgetKeys(user);
  await logout();
  sessionStorage.setItem('gv.notice', 'pinWiped');
  location.hash = '#/login';
  location.reload();
}

// The PIN once more, after the password changed: wraps the key under the new one.
function pinThenRewrap(container, user, password) {
  return new Promise((resolve) => {
    const policy = policyOf(session());
    pinForm(container, {
      help: t('keyMismatch'),
      async submit(pin) {
        const tried = await tryPin(user, pin, policy, true);
        if (tried.ok) {
          const key = await establish(user, tried.key, password, pin);
          await sealToken(key);
          resolve(key);
          return null;
        }
        if (tried.left) return t('pinWrong', { n: tried.left });
        if (tried.lockout === 'wipe') await wipe(user);
        return t('keyLost');
      },
    });
  });
}

/**
 * The data key after a good online sign-in of user with password: this
 * tablet's (a new PIN asked when it has none), or a new one — then the PIN is
 * set and a plaintext database of before is sealed. :throws: Error('keyLost').
 */
export async function keyAfterSignIn(container, user, password) {
  const { key, fresh } = await keyFromPassword(user, password);
  if (!key) {
    if (!hasPin(user)) throw new Error(t('keyLost'));
    return pinThenRewrap(container, user, password);
  }
  const pin = await askNewPin(container);
  const usable = await establish(user, key, password, pin);
  await sealToken(usable);
  if (fresh) await migratePlain(user, usable);
  return usable;
}

/** Cover the app until it is unlocked; resolves with the data key (a wipe reloads instead). */
export function lockApp() {
  if (shown) return shown;
  const s = session();
  const user = s.user.name;
  const policy = policyOf(s);
  const cover = document.createElement('div');
  cover.id = 'lock';
  cover.className = 'lock';
  document.body.append(cover);
  document.body.classList.add('is-locked');
  shown = new Promise((resolve) => {
    const finish = (key) => {
      cover.remove();
      document.body.classList.remove('is-locked');
      shown = null;
      last = Date.now();
      resolve(key);
    };
    const byPassword = (reason) => passwordForm(cover, {
      name: user, reason,
      async submit(password) {
        await login(user, password);                     // online, or it throws
        const { key } = await keyFromPassword(user, password);
        if (!key) return t('keyLost');
        const usable = await establish(user, key, password, await askNewPin(cover));
        await sealToken(usable);
        finish(usable);
        return null;
      },
    });
    if (!hasPin(user)) { byPassword(t('pinTooMany')); return; }
    pinForm(cover, {
      async submit(pin) {
        const tried = await tryPin(user, pin, policy);
        if (tried.ok) { await openToken(tried.key); finish(tried.key); return null; }
        if (tried.left) return t('pinWrong', { n: tried.left });
        if (tried.lockout === 'wipe') { await wipe(user); return null; }
        byPassword(t('pinTooMany'));
        return null;
      },
      forgot: () => byPassword(''),
    });
  });
  return shown;
}

/** Whether the lock covers the app now. */
export const isLocked = () => Boolean(shown);

/** Lock after the idle time the server set (from now on; called once the key is in use). */
export function watchIdle() {
  if (watching) return;
  watching = true;
  last = Date.now();
  const touch = () => { if (!shown) last = Date.now(); };
  for (const type of ACTIVITY) window.addEventListener(type, touch, { capture: true, passive: true });
  const check = () => {
    if (!shown && session() && Date.now() - last >= policyOf(session()).lock_idle_seconds * 1000) lockApp();
  };
  setInterval(check, 1000);
  document.addEventListener('visibilitychange', check);   // back from the background: at once
}
