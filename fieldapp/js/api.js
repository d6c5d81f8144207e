// The tablet's session: login once online (POST /api/login with the device id),
// keep the device token, and ask /api/me who we are when a network is there.
// Once the worker's data key exists the token is kept sealed with it (seal.js)
// and is in clear only in memory, after an unlock: a copy of the tablet's
// storage cannot sync the grid.

import { openDoc, sealDoc } from './seal.js';

const ROOT = new URL('../', new URL('./', location.href));   // the app lives at /app/
const KEY = 'gv.session';
let token = null;          // the device token in memory, while it is kept sealed

/** The server URL of path ('api/me', 'couch/field'). */
export const serverUrl = (path) => new URL(path, ROOT).href;

/** This tablet's device id, made once and kept across sign-ins. */
export function deviceId() {
  let id = localStorage.getItem('gv.device');
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(4));
    id = `tab-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem('gv.device', id);
  }
  return id;
}

function stored() {
  try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { return null; }
}

/** The kept session {token, user, field_db, device, tablet} or null (token null while sealed and locked). */
export function session() {
  const s = stored();
  if (s && s.token_sealed) s.token = token;
  return s;
}

function keep(value) {
  const { token: clear, ...rest } = value;
  localStorage.setItem(KEY, JSON.stringify(value.token_sealed ? rest : value));
  return value;
}

/** Keep the token sealed with the data key from now on (after the key is made or opened by the password). */
export async function sealToken(key) {
  const s = session();
  token = s.token;
  const { sealed } = await sealDoc(key, { _id: KEY, token });
  keep({ ...s, token_sealed: sealed });
}

/** Open the sealed token with the data key (after an unlock by PIN). */
export async function openToken(key) {
  const s = stored();
  if (s?.token_sealed) token = (await openDoc(key, { _id: KEY, sealed: s.token_sealed })).token;
  else if (s?.token) await sealToken(key);               // kept in clear before sealing existed
}

/** An Error with the server's reason and HTTP status. */
async function failure(response) {
  let reason = `HTTP ${response.status}`;
  try { reason = (await response.json()).reason || reason; } catch { /* not JSON */ }
  return Object.assign(new Error(reason), { status: response.status });
}

/** Sign in and keep the device token. :throws: Error with .status (0 offline). */
export async function login(name, password) {
  const device = deviceId();
  let response;
  try {
    response = await fetch(serverUrl('api/login'), {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, password, device }), credentials: 'omit',
    });
  } catch (err) {
    throw Object.assign(new Error(err.message), { status: 0 });
  }
  if (!response.ok) throw await failure(response);
  const body = await response.json();
  return keep({ token: body.token, user: body.user, field_db: body.field_db, device, tablet: body.tablet });
}

/** Headers that carry the device token. */
export const authHeaders = (s = session()) => ({ Authorization: `Bearer ${s.token}` });

/**
 * Refresh the kept user from /api/me. Returns the user, or null when offline;
 * throws an Error with status 401 when the token no longer works.
 */
export async function refreshMe() {
  const s = session();
  if (!s) return null;
  let response;
  try {
    response = await fetch(serverUrl('api/me'), { headers: authHeaders(s), credentials: 'omit' });
  } catch {
    return null;
  }
  if (response.status === 401) throw await failure(response);
  if (!response.ok) return null;
  const user = await response.json();
  keep({ ...s, user: { ...s.user, ...user }, tablet: user.tablet || s.tablet });
  return user;
}

/** Revoke the token on the server (best effort) and forget the session. */
export async function logout() {
  const s = session();
  localStorage.removeItem(KEY);
  token = null;
  if (!s) return;
  try {
    await fetch(serverUrl('api/logout'), { method: 'POST', headers: authHeaders(s), credentials: 'omit' });
  } catch { /* offline: the token stays valid until a supervisor revokes it */ }
}
