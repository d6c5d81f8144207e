// The record format of the tablet's database: every document is stored
// sealed (AES-GCM with the data key, keys.js) but for what replication needs
// to read — the id, the revision and the other `_` fields, and the grid —
// and every attachment's bytes (photos) are sealed too. transform-pouch
// seals on the way in (bulkDocs: local writes and what sync pulls) and opens
// on the way out (get, allDocs, bulkGet, changes), so the server and every
// other tablet receive plaintext; the attachment bytes replication reads go
// through getAttachment, which transform-pouch leaves alone: it is wrapped
// here. docs/tablet_encryption.md draws the format.

import { fromB64, toB64 } from './keys.js';

const subtle = () => globalThis.crypto.subtle;
const utf8 = (text) => new TextEncoder().encode(text);
export const SEAL_VERSION = 1;
const MAGIC = [0x47, 0x56, 0x31, 0x00];          // "GV1\0" opens a sealed attachment

/** The additional data that binds a sealed body (or attachment name) to its document. */
export const aad = (id, name = null) => utf8(name === null ? `gridvisit/1/${id}` : `gridvisit/1/${id}/${name}`);

async function encrypt(key, bytes, data) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: data }, key, bytes);
  return { iv, ct: new Uint8Array(ct) };
}

/** MAGIC + iv + ciphertext-and-tag of bytes. */
export async function sealBytes(key, bytes, data) {
  const { iv, ct } = await encrypt(key, bytes, data);
  const out = new Uint8Array(4 + 12 + ct.length);
  out.set(MAGIC, 0); out.set(iv, 4); out.set(ct, 16);
  return out;
}

/** The plaintext of sealBytes' output; bytes without the magic are returned as they are. */
export async function openBytes(key, bytes, data) {
  if (bytes.length < 16 || MAGIC.some((b, i) => bytes[i] !== b)) return bytes;
  const plain = await subtle().decrypt({ name: 'AES-GCM', iv: bytes.subarray(4, 16), additionalData: data },
    key, bytes.subarray(16));
  return new Uint8Array(plain);
}

const isBlob = (x) => typeof Blob !== 'undefined' && x instanceof Blob;
const isBuffer = (x) => typeof Buffer !== 'undefined' && Buffer.isBuffer(x);

// Attachment data as PouchDB gives or takes it: base64 text, a Blob (browser)
// or a Buffer (node); the result has the same form.
async function mapData(data, type, fn) {
  if (typeof data === 'string') return toB64(await fn(fromB64(data)));
  if (isBlob(data)) return new Blob([await fn(new Uint8Array(await data.arrayBuffer()))], { type: type || data.type });
  if (isBuffer(data)) {                         // node's PouchDB hangs the type on the Buffer
    const out = Buffer.from(await fn(new Uint8Array(data)));
    return data.type ? Object.assign(out, { type: data.type }) : out;
  }
  return fn(new Uint8Array(data));
}

async function mapAttachments(id, atts, fn) {
  const out = {};
  for (const [name, att] of Object.entries(atts)) {
    out[name] = att.data === undefined ? att
      : { ...att, data: await mapData(att.data, att.content_type, (b) => fn(b, aad(id, name))) };
  }
  return out;
}

/** doc as stored: `_` fields and grid in clear, the rest in `sealed`, attachment bytes sealed. */
export async function sealDoc(key, doc) {
  const kept = {}, body = {};
  for (const [k, v] of Object.entries(doc)) (k.startsWith('_') ? kept : body)[k] = v;
  if (kept._attachments) kept._attachments = await mapAttachments(doc._id, kept._attachments, (b, d) => sealBytes(key, b, d));
  const { iv, ct } = await encrypt(key, utf8(JSON.stringify(body)), aad(doc._id));
  const grid = typeof body.grid === 'string' ? { grid: body.grid } : {};
  return { ...kept, ...grid, sealed: { v: SEAL_VERSION, iv: toB64(iv), ct: toB64(ct) } };
}

/** The document sealDoc sealed; a document never sealed (a plaintext one) as it is. :throws: on a wrong key or altered record. */
export async function openDoc(key, doc) {
  if (!doc || !doc.sealed || doc.sealed.v !== SEAL_VERSION) return doc;
  const kept = {};
  for (const [k, v] of Object.entries(doc)) if (k.startsWith('_')) kept[k] = v;
  const plain = await subtle().decrypt({ name: 'AES-GCM', iv: fromB64(doc.sealed.iv), additionalData: aad(doc._id) },
    key, fromB64(doc.sealed.ct));
  if (kept._attachments) kept._attachments = await mapAttachments(doc._id, kept._attachments, (b, d) => openBytes(key, b, d));
  return { ...kept, ...JSON.parse(new TextDecoder().decode(plain)) };
}

/**
 * Seal db with key from now on: transform-pouch for documents, a wrapper of
 * getAttachment for the bytes replication and the screens read. transform
 * and wrappers default to the browser's globals (/app/vendor/transform-pouch.js).
 */
export function sealDatabase(db, key, { plugin = globalThis.TransformPouch, wrappers = globalThis.PouchDBWrappers } = {}) {
  if (typeof db.transform !== 'function') db.constructor.plugin(plugin);
  db.transform({ incoming: (doc) => sealDoc(key, doc), outgoing: (doc) => openDoc(key, doc) });
  wrappers.install(db, {
    async getAttachment(orig, docId, name, ...rest) {
      const data = await orig(docId, name, ...rest);
      return mapData(data, data.type, (b) => openBytes(key, b, aad(docId, name)));
    },
  });
  return db;
}
