// The tablet's session: login once online (POST /api/login with the device id),
// keep the device token, and ask /api/me who we are when a network is there.

const ROOT = new URL('../', new URL('./', location.href));   // the app lives at /app/
const KEY = 'gv.session';

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

/** The kept session {token, user, field_db, device} or null. */
export function session() {
  try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { return null; }
}

function keep(value) {
  localStorage.setItem(KEY, JSON.stringify(value));
  return value;
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
  if (!s) return;
  try {
    await fetch(serverUrl('api/logout'), { method: 'POST', headers: authHeaders(s), credentials: 'omit' });
  } catch { /* offline: the token stays valid until a supervisor revokes it */ }
}
