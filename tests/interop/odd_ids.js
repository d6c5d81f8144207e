'use strict';
// Ids that need escaping in a URL (`a/b/c`, `a+b`, `100%`, `with space`,
// Chinese), pushed by PouchDB and read back through every endpoint PouchDB
// uses: the document, `open_revs`, its attachment, a `_local` document of
// the same name, and replication into a fresh PouchDB.
// Payload: {remote: url of the database, ids: [...]}.
const {local, remote, main, summary} = require('./_common');

main(async ({remote: url, ids}) => {
  const db = remote(url);
  const source = local('odd');
  await source.bulkDocs(ids.map((id) => ({
    _id: id, label: id,
    _attachments: {'note.txt': {content_type: 'text/plain',
                                data: Buffer.from(`note of ${id}`).toString('base64')}},
  })));
  const push = await source.replicate.to(db);
  const read = {};
  for (const id of ids) {
    const doc = await db.get(id);
    const revs = await db.get(id, {open_revs: 'all', revs: true});
    const att = await db.getAttachment(id, 'note.txt');
    const put = await db.put({_id: `_local/${id}`, label: id});
    const got = await db.get(`_local/${id}`);
    await db.remove(got);
    read[id] = {id: doc._id, label: doc.label, rev: doc._rev,
                open_revs: revs.map((r) => r.ok && r.ok._id),
                attachment: att.toString(), local_rev: put.rev, local_label: got.label};
  }
  const fresh = local('fresh');
  const pull = await fresh.replicate.from(db);
  const pulled = {};
  for (const id of ids) {
    pulled[id] = (await fresh.get(id, {attachments: true, binary: true}))
      ._attachments['note.txt'].data.toString();
  }
  return {push: summary(push), pull: summary(pull), read, pulled};
});
