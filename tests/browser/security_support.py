"""What a thief with the tablet's storage would read: every IndexedDB database
and object store and localStorage, dumped from the page as they are on disk
(Blobs and binary as base64), and the personal strings of a grid to look for."""

import json

# Runs in the page: every record of every object store of every IndexedDB
# database, binary turned into {"$bytes": base64}, plus localStorage.
DUMP = """async () => {
  const b64 = async (buf) => { let s = ''; const a = new Uint8Array(buf);
    for (let i = 0; i < a.length; i += 1) s += String.fromCharCode(a[i]); return btoa(s); };
  const plain = async (v) => {
    if (v instanceof Blob) return { $bytes: await b64(await v.arrayBuffer()) };
    if (v instanceof ArrayBuffer) return { $bytes: await b64(v) };
    if (ArrayBuffer.isView(v)) return { $bytes: await b64(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) };
    if (Array.isArray(v)) return Promise.all(v.map(plain));
    if (v && typeof v === 'object') {
      const out = {};
      for (const [k, x] of Object.entries(v)) out[k] = await plain(x);
      return out;
    }
    return v;
  };
  const ask = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const out = { idb: {}, localStorage: { ...localStorage } };
  for (const { name } of await indexedDB.databases()) {
    const db = await ask(indexedDB.open(name));
    for (const store of db.objectStoreNames) {
      out.idb[`${name}/${store}`] = await plain(await ask(db.transaction(store).objectStore(store).getAll()));
    }
    db.close();
  }
  return out;
}"""


def dump(tablet):
    """Everything the tablet's browser storage holds, as JSON-able data."""
    return tablet.page.evaluate(DUMP)


def binaries(value):
    """Every {"$bytes": …} found in value (attachment bodies and the like)."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            yield value["$bytes"]
        for item in value.values():
            yield from binaries(item)
    elif isinstance(value, list):
        for item in value:
            yield from binaries(item)


def personal_strings(docs):
    """Names, phones, notes and id numbers of residents in docs, to be found in no clear text."""
    found = set()
    for doc in docs:
        for key in ("head", "phone", "notes", "id_number", "colour_reason"):
            if isinstance(doc.get(key), str) and len(doc[key]) >= 2:
                found.add(doc[key])
        for member in doc.get("members") or []:
            for key in ("name", "phone", "id_number", "notes"):
                if isinstance(member.get(key), str) and len(member[key]) >= 2:
                    found.add(member[key])
    return found


def text_of(data):
    """One string holding data as JSON, non-ASCII as written."""
    return json.dumps(data, ensure_ascii=False)
