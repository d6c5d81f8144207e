"""A stub reaches only its parent revision's attachments (issue 15, first item).

Attachment bytes are stored once per database, keyed by digest. A stub used
to be resolved by that digest alone, so a worker who knew the digest of
another grid's photo could attach it to a document of their own grid and read
the photo back. CouchDB resolves a stub against the revision it descends from
(``missing_stub``, 412 otherwise); so does gridvisit, on every write path.
"""

import base64

import pytest

from sync.attachments import digest_of
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app

PHOTO = b"\xff\xd8\xff\xe0 photo of another grid's household"


@pytest.fixture
def field(tmp_path):
    app = make_field_app(tmp_path)
    admin = Couch(app, ADMIN)
    doc = admin.get("field/household:g3:h3").get_json()
    doc["_attachments"] = {"p.jpg": {"content_type": "image/jpeg",
                                     "data": base64.b64encode(PHOTO).decode()}}
    assert admin.put("field/household:g3:h3", json=doc).status_code == 201
    return app


def stolen_stub():
    return {"p.jpg": {"stub": True, "digest": digest_of(PHOTO), "content_type": "image/jpeg",
                      "length": len(PHOTO)}}


def test_a_stub_naming_another_grids_digest_is_refused_on_put(field):
    w1 = Couch(field, ("w1", PASSWORD))
    doc = dict(fd.household("g1", "stub1"), _attachments=stolen_stub())
    resp = w1.put("field/household:g1:stub1", json=doc)
    assert resp.status_code == 412
    assert resp.get_json()["error"] == "precondition_failed"
    assert "p.jpg" in resp.get_json()["reason"]
    assert w1.get("field/household:g1:stub1/p.jpg").status_code == 404
    assert w1.get("field/household:g1:stub1").status_code == 404     # nothing stored


def test_a_stub_on_an_edit_of_ones_own_document_cannot_borrow_bytes(field):
    w1 = Couch(field, ("w1", PASSWORD))
    doc = w1.get("field/household:g1:h1").get_json()         # has door.png of its own
    doc["_attachments"].update(stolen_stub())
    resp = w1.put("field/household:g1:h1", json=doc)
    assert resp.status_code == 412
    assert w1.get("field/household:g1:h1/p.jpg").status_code == 404


def test_replicated_revision_with_a_stolen_stub_is_refused_per_document(field):
    w1 = Couch(field, ("w1", PASSWORD))
    stolen = dict(fd.household("g1", "stub2"), _rev="1-" + "a" * 32, _attachments=stolen_stub())
    fine = dict(fd.household("g1", "fine"), _rev="1-" + "b" * 32)
    rows = w1.post("field/_bulk_docs", json={"docs": [stolen, fine], "new_edits": False})
    assert rows.status_code == 201
    errors = [row for row in rows.get_json() if "error" in row]
    assert [(row["id"], row["error"]) for row in errors] == \
        [("household:g1:stub2", "precondition_failed")]
    assert w1.get("field/household:g1:stub2").status_code == 404
    assert w1.get("field/household:g1:fine").status_code == 200


def test_a_stub_of_the_parents_own_attachment_still_works(field):
    w1 = Couch(field, ("w1", PASSWORD))
    doc = w1.get("field/household:g1:h1").get_json()
    assert doc["_attachments"]["door.png"]["stub"] is True
    doc["phone"] = "139 0000 2222"
    assert w1.put("field/household:g1:h1", json=doc).status_code == 201
    assert w1.get("field/household:g1:h1/door.png").data == b"\x89PNG.."


def test_a_replicated_child_keeps_its_parents_attachment_by_stub(field):
    admin = Couch(field, ADMIN)
    parent = admin.get("field/household:g1:h1").get_json()
    pos, parent_hash = parent["_rev"].split("-")
    child = dict(parent, phone="139 0000 3333", _rev=f"{int(pos) + 1}-" + "c" * 32,
                 _revisions={"start": int(pos) + 1, "ids": ["c" * 32, parent_hash]})
    rows = admin.post("field/_bulk_docs", json={"docs": [child], "new_edits": False})
    assert rows.status_code == 201 and rows.get_json() == []
    got = admin.get("field/household:g1:h1").get_json()
    assert got["_rev"] == child["_rev"] and got["_attachments"]["door.png"]["stub"] is True
    assert admin.get("field/household:g1:h1/door.png").data == b"\x89PNG.."


def test_a_stub_whose_digest_differs_from_the_parents_is_refused(field):
    admin = Couch(field, ADMIN)
    doc = admin.get("field/household:g1:h1").get_json()
    doc["_attachments"]["door.png"]["digest"] = digest_of(PHOTO)   # same name, other bytes
    assert admin.put("field/household:g1:h1", json=doc).status_code == 412
