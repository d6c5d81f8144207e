'use strict';
// Binary attachments round trip: local PouchDB -> server -> fresh PouchDB.
// rev 1 carries "pixel.png" (a PNG signature followed by all 256 byte
// values); rev 2 keeps it as a stub and adds "note.txt".
// Payload: {remote: url, id}. Reports bytes (base64), stubs and revs.
const {local, remote, main, summary} = require('./_common');

function pngLike() {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const all = Buffer.from(Array.from({length: 256}, (_, i) => i));
  return Buffer.concat([sig, all, Buffer.from(Array.from({length: 256}, (_, i) => 255 - i))]);
}

async function describe(db, id) {
  const stubs = await db.get(id);
  const full = await db.get(id, {attachments: true, binary: true});
  const out = {rev: stubs._rev, stubs: stubs._attachments, data: {}, types: {}};
  for (const [name, att] of Object.entries(full._attachments)) {
    out.data[name] = Buffer.from(att.data).toString('base64');
    out.types[name] = att.content_type;
  }
  const viaGet = await db.getAttachment(id, 'pixel.png');
  out.get_attachment_pixel = Buffer.from(viaGet).toString('base64');
  return out;
}

main(async ({remote: url, id = 'att'}) => {
  const pixel = pngLike();
  const note = Buffer.from('走访记录：一切正常。\nall good\n', 'utf8');
  const a = local('a');
  const r1 = await a.put({_id: id, kind: 'photo', _attachments: {
    'pixel.png': {content_type: 'image/png', data: pixel},
  }});
  const doc = await a.get(id);
  doc.caption = '门牌';
  doc._attachments['note.txt'] = {content_type: 'text/plain', data: note};
  const r2 = await a.put(doc);

  const server = remote(url);
  const push = await a.replicate.to(server);
  const b = local('b');
  const pull = await b.replicate.from(server);

  return {
    expected: {'pixel.png': pixel.toString('base64'), 'note.txt': note.toString('base64')},
    rev1: r1.rev,
    rev2: r2.rev,
    push: summary(push),
    pull: summary(pull),
    source: await describe(a, id),
    fresh: await describe(b, id),
    server: await describe(server, id),
  };
});
