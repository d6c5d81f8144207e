// The tablet's keys: one random data key (AES-GCM, 256 bits) seals every
// local document (seal.js); it is kept only wrapped (AES-KW, RFC 3394) under
// keys derived from the worker's password and PIN with PBKDF2-SHA256, never
// in clear. Pure WebCrypto: the same module runs in node for the tests
// (tests/js/seal.test.mjs) and is cross-checked in Python (tests/test_seal.py).
// The format is in docs/tablet_encryption.md.

const subtle = () => globalThis.crypto.subtle;
const utf8 = (text) => new TextEncoder().encode(text);

/** PBKDF2 iterations for a new wrapping (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
export const KDF_ITERATIONS = 600000;

/** Standard base64 of bytes. */
export function toB64(bytes) {
  let text = '';
  const view = new Uint8Array(bytes);
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

/** The bytes of standard base64 text. */
export function fromB64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

/** The key-wrapping key PBKDF2-SHA256(secret, salt, iterations) as an AES-KW 256 key. */
export async function deriveKek(secret, salt, iterations) {
  const base = await subtle().importKey('raw', utf8(secret), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base, { name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']);
}

/** A new random data key (extractable only so that it can be wrapped). */
export const newDataKey = () => subtle().generateKey({ name: 'AES-GCM', length: 256 }, true,
  ['encrypt', 'decrypt']);

/** The data key from its raw bytes (known-answer tests). */
export const importDataKey = (raw, extractable = false) => subtle().importKey('raw', raw,
  { name: 'AES-GCM' }, extractable, ['encrypt', 'decrypt']);

/**
 * {salt, iterations, wrapped} (base64): dataKey wrapped under a key derived
 * from secret with a fresh 16-byte salt.
 */
export async function wrapUnder(dataKey, secret, iterations = KDF_ITERATIONS,
  salt = globalThis.crypto.getRandomValues(new Uint8Array(16))) {
  const kek = await deriveKek(secret, salt, iterations);
  const wrapped = await subtle().wrapKey('raw', dataKey, kek, 'AES-KW');
  return { salt: toB64(salt), iterations, wrapped: toB64(wrapped) };
}

/**
 * The data key an entry of wrapUnder holds, unwrapped with secret; null when
 * secret is wrong (AES-KW's integrity check fails).
 */
export async function unwrapWith(entry, secret, extractable = false) {
  const kek = await deriveKek(secret, fromB64(entry.salt), entry.iterations);
  try {
    return await subtle().unwrapKey('raw', fromB64(entry.wrapped), kek, 'AES-KW',
      { name: 'AES-GCM' }, extractable, ['encrypt', 'decrypt']);
  } catch (err) {
    if (err.name === 'OperationError') return null;
    throw err;
  }
}
