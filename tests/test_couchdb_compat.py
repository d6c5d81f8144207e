"""What Apache CouchDB's own replicator needs beyond PouchDB: multipart
documents, continuous feeds, selector filters (issue: the hub drives
replication). Multipart bodies are parsed with Python's email parser."""

import base64
import email.parser
import email.policy
import gzip
import hashlib
import json

import pytest

from server.couch import multipart

PNG = bytes(range(256)) * 3 + b"\r\n--not-a-boundary\r\n"


def parse(content_type, body):
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    return email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)


@pytest.fixture
def doc_with_photo(couch):
    att = {"photo.png": {"content_type": "image/png", "data": base64.b64encode(PNG).decode()},
           "note.txt": {"content_type": "text/plain", "data": base64.b64encode(b"hi").decode()}}
    rev = couch.put("db/v", json={"type": "visit", "_attachments": att}).get_json()["rev"]
    rev2 = couch.put("db/v", json={"_rev": rev, "type": "visit", "n": 2, "_attachments": {
        name: dict(stub, stub=True) for name, stub in
        couch.get("db/v").get_json()["_attachments"].items()}}).get_json()["rev"]
    return rev, rev2


def test_open_revs_as_multipart_mixed_round_trips_bytes(couch, doc_with_photo):
    rev, rev2 = doc_with_photo
    resp = couch.get(f'db/v?revs=true&latest=true&attachments=true&open_revs=["{rev2}","9-x"]',
                     headers={"Accept": "multipart/mixed"})
    assert resp.status_code == 200 and resp.mimetype == "multipart/mixed"
    message = parse(resp.headers["Content-Type"], resp.data)
    first, missing = list(message.iter_parts())
    assert first.get_content_type() == "multipart/related"
    inner = list(first.iter_parts())
    body = json.loads(inner[0].get_payload(decode=True))
    assert body["_rev"] == rev2 and body["_revisions"]["start"] == 2
    assert all(meta["follows"] for meta in body["_attachments"].values())
    data = {part.get_filename(): part.get_payload(decode=True) for part in inner[1:]}
    assert data == {"photo.png": PNG, "note.txt": b"hi"}
    for part in inner[1:]:
        assert int(part["Content-Length"]) == len(part.get_payload(decode=True))
    assert missing.get_param("error") == "true"
    assert json.loads(missing.get_payload(decode=True)) == {"missing": "9-x"}


def test_multipart_carries_bytes_without_attachments_true(couch, doc_with_photo):
    """CouchDB's replicator asks with revs, open_revs, latest (and atts_since)
    only; the multipart answer must still carry the bytes."""
    _rev, rev2 = doc_with_photo
    resp = couch.get(f'db/v?revs=true&latest=true&open_revs=["{rev2}"]',
                     headers={"Accept": "multipart/mixed"})
    (part,) = parse(resp.headers["Content-Type"], resp.data).iter_parts()
    assert part.get_content_type() == "multipart/related"
    assert [p.get_payload(decode=True) for p in part.iter_parts()][1:] == [PNG, b"hi"]


def test_atts_since_sends_only_newer_attachment_bytes(couch, doc_with_photo):
    rev, rev2 = doc_with_photo
    resp = couch.get(f'db/v?revs=true&attachments=true&open_revs=["{rev2}"]'
                     f'&atts_since=["{rev}"]', headers={"Accept": "multipart/mixed"})
    (part,) = parse(resp.headers["Content-Type"], resp.data).iter_parts()
    assert part.get_content_type() == "application/json"        # nothing follows
    body = json.loads(part.get_payload(decode=True))
    assert all(meta.get("stub") for meta in body["_attachments"].values())


def test_json_is_still_the_default(couch, doc_with_photo):
    _rev, rev2 = doc_with_photo
    got = couch.get(f'db/v?open_revs=["{rev2}"]&attachments=true',
                    headers={"Accept": "application/json"}).get_json()
    assert base64.b64decode(got[0]["ok"]["_attachments"]["photo.png"]["data"]) == PNG


def test_single_document_as_multipart_related(couch, doc_with_photo):
    resp = couch.get("db/v?attachments=true", headers={"Accept": "multipart/related"})
    parts = list(parse(resp.headers["Content-Type"], resp.data).iter_parts())
    assert json.loads(parts[0].get_payload(decode=True))["n"] == 2
    assert {p.get_filename(): p.get_payload(decode=True) for p in parts[1:]}["photo.png"] == PNG


def _related_body(doc, files, gzip_names=()):
    boundary = "b0undary"
    out = [b"--" + boundary.encode(), b"Content-Type: application/json", b"",
           json.dumps(doc).encode()]
    for name, data in files:
        payload = gzip.compress(data) if name in gzip_names else data
        out += [b"--" + boundary.encode(), f'Content-Disposition: attachment; filename="{name}"'
                .encode(), b"Content-Type: application/octet-stream", b"", payload]
    out.append(b"--" + boundary.encode() + b"--")
    return f'multipart/related; boundary="{boundary}"', b"\r\n".join(out)


def test_put_multipart_related_with_new_edits_false(couch):
    doc = {"_id": "pushed", "_rev": "2-abc", "_revisions": {"start": 2, "ids": ["abc", "def"]},
           "type": "visit", "_attachments": {
               "a.bin": {"content_type": "application/octet-stream", "follows": True,
                         "length": len(PNG), "revpos": 1},
               "b.txt": {"content_type": "text/plain", "follows": True, "encoding": "gzip",
                         "revpos": 2}}}
    ctype, body = _related_body(doc, [("a.bin", PNG), ("b.txt", "中文".encode())], {"b.txt"})
    resp = couch.call("PUT", "db/pushed?new_edits=false", data=body,
                      headers={"Content-Type": ctype})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    again = couch.call("PUT", "db/pushed?new_edits=false", data=body,
                       headers={"Content-Type": ctype})
    assert again.status_code == 201                                # idempotent
    assert couch.get("db/pushed/a.bin").data == PNG
    assert couch.get("db/pushed/b.txt").data == "中文".encode()
    stub = couch.get("db/pushed").get_json()["_attachments"]["a.bin"]
    expected = "md5-" + base64.b64encode(hashlib.md5(PNG).digest()).decode()
    assert stub["digest"] == expected and stub["length"] == len(PNG)
    assert couch.get("db/pushed?revs=true").get_json()["_revisions"]["ids"] == ["abc", "def"]


def test_bad_multipart_is_a_clear_400(couch):
    resp = couch.call("PUT", "db/x?new_edits=false", data=b"garbage",
                      headers={"Content-Type": 'multipart/related; boundary="zz"'})
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_request"
    doc = {"_id": "x", "_rev": "1-a", "_attachments": {"a": {"follows": True}}}
    ctype, body = _related_body(doc, [])
    resp = couch.call("PUT", "db/x?new_edits=false", data=body, headers={"Content-Type": ctype})
    assert resp.status_code == 400 and "'a'" in resp.get_json()["reason"]


def test_selector_filter_on_changes(couch):
    couch.post("db/_bulk_docs", json={"docs": [
        {"_id": "a", "type": "household", "colour": "red"},
        {"_id": "b", "type": "household", "colour": "green"},
        {"_id": "c", "type": "visit"}]})
    rows = couch.post("db/_changes?filter=_selector", json={"selector": {
        "type": "household", "colour": {"$in": ["red", "yellow"]}}}).get_json()["results"]
    assert [r["id"] for r in rows] == ["a"]
    page = couch.post("db/_changes?filter=_selector&limit=1", json={
        "selector": {"type": "household"}}).get_json()
    assert [r["id"] for r in page["results"]] == ["a"]
    regex = couch.post("db/_changes?filter=_selector", json={"selector": {
        "colour": {"$regex": "^gr"}}}).get_json()["results"]
    assert [r["id"] for r in regex] == ["b"]                     # the selector of _find
    bad = couch.post("db/_changes?filter=_selector", json={"selector": {"x": {"$where": "."}}})
    assert bad.status_code == 400 and "$where" in bad.get_json()["reason"]


def test_continuous_feed_with_heartbeat_ends_with_last_seq(couch):
    couch.put("db/a", json={})
    resp = couch.get("db/_changes?feed=continuous&heartbeat=50&timeout=300&since=0")
    lines = resp.get_data(as_text=True).split("\n")
    rows = [json.loads(line) for line in lines if line.strip()]
    assert rows[0]["id"] == "a" and "last_seq" in rows[-1]
    assert "" in lines[1:-1]                                   # heartbeats: empty lines


def test_multipart_builder_escapes_quotes_in_names():
    ctype, body = multipart.related({"_id": "d", "_attachments": {
        'we"ird.txt': {"content_type": "text/plain", "data": base64.b64encode(b"x").decode()}}})
    parts = list(parse(ctype, body).iter_parts())
    assert parts[1].get_payload(decode=True) == b"x"


# new_edits=false: the history in _revisions wins over _rev, as in CouchDB's
# couch_doc and PouchDB's parseDoc (PouchDB's replication tests #468 and #789
# send such documents after trees that reuse a rev hash at two positions).
@pytest.mark.parametrize("doc, leaf, path", [
    ({"_id": "foo", "_rev": "3-c", "_revisions": {"start": 2, "ids": ["c", "a"]}},
     "2-c", ["c", "a"]),
    ({"_id": "foo", "_revisions": {"start": 2, "ids": ["b", "a"]}}, "2-b", ["b", "a"]),
    ({"_id": "foo", "_rev": "2-a", "_revisions": {"start": 1, "ids": ["a"]}}, "1-a", ["a"]),
    ({"_id": "foo", "_rev": "2-b"}, "2-b", ["b"]),
])
def test_new_edits_false_takes_the_history_from_revisions(couch, doc, leaf, path):
    resp = couch.post("db/_bulk_docs", json={"docs": [dict(doc, v=1)], "new_edits": False})
    assert resp.status_code == 201 and resp.get_json() == [], resp.get_data(as_text=True)
    got = couch.get(f"db/foo?rev={leaf}&revs=true").get_json()
    assert got["_rev"] == leaf and got["_revisions"]["ids"] == path and got["v"] == 1


def test_one_odd_document_does_not_cost_the_others_of_its_batch(couch):
    docs = [{"_id": "789", "_rev": "2-b", "_revisions": {"start": 2, "ids": ["b", "a"]}},
            {"_id": "789", "_rev": "2-c", "_revisions": {"start": 2, "ids": ["c", "a"]}},
            {"_id": "789", "_rev": "2-a", "_revisions": {"start": 1, "ids": ["a"]}}]
    assert couch.post("db/_bulk_docs", json={"docs": docs, "new_edits": False}).status_code == 201
    leaves = couch.get("db/789?open_revs=all").get_json()
    assert sorted(row["ok"]["_rev"] for row in leaves) == ["1-a", "2-b", "2-c"] or \
        sorted(row["ok"]["_rev"] for row in leaves) == ["2-b", "2-c"]


@pytest.mark.parametrize("doc, mentions", [
    ({"_id": "foo"}, "_rev or _revisions"),
    ({"_rev": "1-a"}, "_id"),
    ({"_id": "foo", "_revisions": {"start": 0, "ids": ["a"]}}, "_revisions"),
])
def test_new_edits_false_without_a_revision_is_refused_by_name(couch, doc, mentions):
    resp = couch.post("db/_bulk_docs", json={"docs": [doc], "new_edits": False})
    assert resp.status_code == 400 and mentions in resp.get_json()["reason"], resp.get_json()
