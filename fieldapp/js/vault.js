// The signed-in worker's data key on this tablet: kept only wrapped, in
// localStorage under `gv.keys.{user}` (under the password and under the PIN,
// keys.js), unwrapped into memory (a non-extractable CryptoKey) by the PIN
// offline or by the password after an online sign-in. Wrong PINs are counted
// before each try (closing the app mid-try does not reset the count); past
// the community's limit the PIN wrapping is dropped (`password`) or the
// tablet is wiped (`wipe`, lock.js).

import { newDataKey, unwrapWith, wrapUnder } from './keys.js';

const POLICY = { lock_idle_seconds: 300, pin_max_tries: 5, pin_lockout: 'password' };
let dataKey = null;

const name = (user) => `gv.keys.${user}`;
const keep = (user, record) => localStorage.setItem(name(user), JSON.stringify(record));

/** The key record of user ({v, password, pin, fails}) or null. */
export function keyRecord(user) {
  try { return JSON.parse(localStorage.getItem(name(user)) || 'null'); } catch { return null; }
}

/** Whether this tablet holds a data key for user (their data is sealed). */
export const hasKeys = (user) => Boolean(keyRecord(user)?.password);

/** Whether user can unlock with a PIN (not dropped after too many wrong ones). */
export const hasPin = (user) => Boolean(keyRecord(user)?.pin);

/** The data key in memory, or null while locked at start. */
export const currentKey = () => dataKey;

/** The lock policy the server sent ({lock_idle_seconds, pin_max_tries, pin_lockout}). */
export const policyOf = (s) => ({ ...POLICY, ...(s?.tablet || {}) });

/** A PIN is 6 digits. */
export const validPin = (pin) => /^\d{6}$/.test(pin);

async function usable(key) {
  // Kept in memory non-extractable: nothing running in the page can read its bytes.
  const raw = await crypto.subtle.exportKey('raw', key);
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/**
 * After a good online sign-in: this tablet's data key opened with password
 * (extractable, to be wrapped again), a new one when there is none (fresh:
 * true), or null when the password does not open it (changed since).
 */
export async function keyFromPassword(user, password) {
  const record = keyRecord(user);
  if (!record?.password) return { key: await newDataKey(), fresh: true };
  return { key: await unwrapWith(record.password, password, true), fresh: false };
}

/** Keep key wrapped under password and pin (the PIN's count starts again) and use it. */
export async function establish(user, key, password, pin) {
  const [byPassword, byPin] = await Promise.all([wrapUnder(key, password), wrapUnder(key, pin)]);
  keep(user, { v: 1, password: byPassword, pin: byPin, fails: 0 });
  dataKey = await usable(key);
  return dataKey;
}

/**
 * Try pin: {ok: true, key} (the key is now in use), or {ok: false, left} with
 * the tries left, or {ok: false, lockout: 'password' | 'wipe'} when that was
 * the last one (for 'password' the PIN wrapping is gone already).
 * With extractable the key comes back extractable (to wrap it again).
 */
export async function tryPin(user, pin, policy, extractable = false) {
  const record = keyRecord(user);
  if (!record?.pin) return { ok: false, lockout: 'password' };
  record.fails = (record.fails || 0) + 1;              // counted before the try
  keep(user, record);
  const key = validPin(pin) ? await unwrapWith(record.pin, pin, extractable) : null;
  if (key) {
    keep(user, { ...record, fails: 0 });
    dataKey = extractable ? await usable(key) : key;
    return { ok: true, key };
  }
  const left = policy.pin_max_tries - record.fails;
  if (left > 0) return { ok: false, left };
  if (policy.pin_lockout !== 'wipe') keep(user, { ...record, pin: null });
  return { ok: false, lockout: policy.pin_lockout === 'wipe' ? 'wipe' : 'password' };
}

/** Forget user's keys on this tablet (wipe, sign-out). */
export function forgetKeys(user) {
  localStorage.removeItem(name(user));
  dataKey = null;
}
