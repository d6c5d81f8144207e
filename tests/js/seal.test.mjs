// The tablet's record format (fieldapp/js/keys.js, seal.js): the known
// answers of tests/vectors/seal_cases.json (made by Python's cryptography),
// then a sealed PouchDB (real PouchDB in node, memory adapter, transform-pouch
// as the browser loads it) replicating with a plaintext peer both ways, photos
// included. Run with `node --test tests/js/` (tests/test_seal.py does, too).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { fromB64, importDataKey, newDataKey, toB64, unwrapWith, wrapUnder } from '../../fieldapp/js/keys.js';
import { aad, openBytes, openDoc, sealBytes, sealDatabase, sealDoc } from '../../fieldapp/js/seal.js';

const require = createRequire(import.meta.url);
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));
const plugin = require('transform-pouch');
const wrappers = require('transform-pouch/node_modules/pouchdb-wrappers');
const V = JSON.parse(readFileSync(new URL('../vectors/seal_cases.json', import.meta.url), 'utf8'));
const rawOf = async (key) => new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', key));

for (const w of V.wraps) {
  test(`known answer: the ${w.name} wrap makes and opens the same bytes as Python`, async () => {
    const dk = await importDataKey(fromB64(V.data_key), true);
    const made = await wrapUnder(dk, w.secret, w.iterations, fromB64(w.salt));
    assert.equal(made.wrapped, w.wrapped);                        // AES-KW is deterministic
    assert.deepEqual(await rawOf(await unwrapWith(w, w.secret, true)), fromB64(V.data_key));
  });

  test(`the ${w.name} wrap refuses a wrong secret`, async () => {
    assert.equal(await unwrapWith(w, `${w.secret}x`), null);
  });
}

for (const r of V.records) {
  test(`known answer: ${r.name} sealed by Python opens to its plaintext`, async () => {
    const dk = await importDataKey(fromB64(V.data_key));
    assert.deepEqual(await openDoc(dk, structuredClone(r.stored)), r.plain);
  });

  test(`${r.name} moved under another id does not open (the id is bound in)`, async () => {
    const dk = await importDataKey(fromB64(V.data_key));
    const moved = { ...structuredClone(r.stored), _id: 'household:g1:9-9-909' };
    await assert.rejects(openDoc(dk, moved), { name: 'OperationError' });
  });
}

for (const a of V.attachments) {
  test(`known answer: an attachment sealed by Python opens to its bytes`, async () => {
    const dk = await importDataKey(fromB64(V.data_key));
    assert.deepEqual(await openBytes(dk, fromB64(a.sealed), aad(a.doc, a.name)), fromB64(a.plain));
  });
}

test('a sealed document keeps only the _ fields and the grid in clear, and opens whole', async () => {
  const dk = await newDataKey();
  const doc = { _id: 'household:g1:1-1-101', _rev: '2-x', type: 'household', grid: 'g1', head: '高德明', phone: '13800000000' };
  const stored = await sealDoc(dk, doc);
  assert.deepEqual(Object.keys(stored).sort(), ['_id', '_rev', 'grid', 'sealed']);
  assert.doesNotMatch(JSON.stringify(stored), /高德明|13800000000|phone|head/);
  assert.deepEqual(await openDoc(dk, stored), doc);
  const other = await sealDoc(dk, doc);
  assert.notEqual(other.sealed.iv, stored.sealed.iv);            // a fresh iv every time
  assert.deepEqual(await openDoc(dk, { _id: 'x', a: 1 }), { _id: 'x', a: 1 });   // plaintext passes
});

test('sealed bytes start with GV1 and a changed byte fails to open', async () => {
  const dk = await newDataKey();
  const sealed = await sealBytes(dk, new Uint8Array([255, 216, 255, 1, 2, 3]), aad('v', 'p.jpg'));
  assert.deepEqual([...sealed.subarray(0, 4)], [0x47, 0x56, 0x31, 0]);
  sealed[sealed.length - 1] ^= 1;
  await assert.rejects(openBytes(dk, sealed, aad('v', 'p.jpg')), { name: 'OperationError' });
});

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from('a photo of a resident')]);
let n = 0;
const fresh = (name) => new PouchDB(`${name}-${n += 1}`, { adapter: 'memory' });

test('a sealed tablet replicates plaintext to the server and sealed to a second tablet, photos too', async () => {
  const key1 = await newDataKey(), key2 = await newDataKey();
  const tablet1 = fresh('t1'), server = fresh('server'), tablet2 = fresh('t2');
  sealDatabase(tablet1, key1, { plugin, wrappers });
  sealDatabase(tablet2, key2, { plugin, wrappers });
  const raw1 = new PouchDB(tablet1.name, { adapter: 'memory' });   // the same store, no key
  const visit = { _id: 'visit:g1:v1', type: 'visit', grid: 'g1', notes: '独居老人，血氧 91',
    _attachments: { 'photo-1.jpg': { content_type: 'image/jpeg', data: JPEG.toString('base64') } } };
  const { rev } = await tablet1.put(visit);

  const stored = await raw1.get('visit:g1:v1', { attachments: true, binary: true });
  assert.doesNotMatch(JSON.stringify(stored), /独居|血氧|notes/);
  assert.deepEqual([...stored._attachments['photo-1.jpg'].data.subarray(0, 4)], [0x47, 0x56, 0x31, 0]);
  const mine = await tablet1.get('visit:g1:v1');
  assert.equal(mine.notes, visit.notes);
  assert.ok(JPEG.equals(await tablet1.getAttachment('visit:g1:v1', 'photo-1.jpg')));

  await tablet1.replicate.to(server);
  const there = await server.get('visit:g1:v1', { attachments: true, binary: true });
  assert.equal(there._rev, rev);                                  // the same revision, no new edit
  assert.equal(there.notes, visit.notes);
  assert.equal(there.sealed, undefined);
  assert.ok(JPEG.equals(there._attachments['photo-1.jpg'].data));

  await tablet2.replicate.from(server);
  const second = await tablet2.get('visit:g1:v1', { attachments: true });
  assert.equal(second._rev, rev);
  assert.equal(second.notes, visit.notes);
  assert.equal(second._attachments['photo-1.jpg'].data, JPEG.toString('base64'));
  const raw2 = await new PouchDB(tablet2.name, { adapter: 'memory' }).get('visit:g1:v1');
  assert.ok(raw2.sealed && !('notes' in raw2));

  // An edit on the second tablet goes back as plaintext; the first opens it.
  const hh = { _id: 'household:g1:1-1-101', type: 'household', grid: 'g1', phone: '13800000000' };
  await tablet2.put(hh);
  await tablet2.replicate.to(server);
  await tablet1.replicate.from(server);
  assert.equal((await server.get(hh._id)).phone, hh.phone);
  assert.equal((await tablet1.get(hh._id)).phone, hh.phone);
  const raw = await raw1.get(hh._id);
  assert.equal(raw.grid, 'g1');
  assert.ok(!('phone' in raw));
  // A second revision replicates as a child of the first: no conflict anywhere.
  const edited = await tablet1.get(hh._id);
  await tablet1.put({ ...edited, phone: '13900000000' });
  await tablet1.replicate.to(server);
  const back = await server.get(hh._id, { conflicts: true });
  assert.equal(back.phone, '13900000000');
  assert.equal(back._conflicts, undefined);
  assert.ok(back._rev.startsWith('2-'));
});

test('the changes feed and allDocs open what they carry', async () => {
  const key = await newDataKey();
  const db = sealDatabase(fresh('t3'), key, { plugin, wrappers });
  await db.bulkDocs([{ _id: 'household:g2:1', grid: 'g2', head: '李娟' }, { _id: 'household:g2:2', grid: 'g2', head: '王伟' }]);
  const all = await db.allDocs({ include_docs: true });
  assert.deepEqual(all.rows.map((r) => r.doc.head), ['李娟', '王伟']);
  const feed = await db.changes({ include_docs: true });
  assert.deepEqual(feed.results.map((c) => c.doc.head).sort(), ['李娟', '王伟']);
  const deleted = await db.remove(await db.get('household:g2:1'));
  assert.ok(deleted.ok);
});

test('toB64 and fromB64 are inverse over every byte', () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  assert.deepEqual(fromB64(toB64(bytes)), bytes);
  assert.equal(toB64(bytes), Buffer.from(bytes).toString('base64'));
});
