"""The tablet's record format (docs/tablet_encryption.md) holds in both
languages: Python's ``cryptography`` (tests/seal_reference.py) makes and reads
the known answers of tests/vectors/seal_cases.json, and the field app's
keys.js and seal.js pass the same answers plus a sealed PouchDB replicating
with a plaintext peer (``tests/js/seal.test.mjs``, run here with node)."""

import json
import subprocess

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

from tests import seal_reference as ref
from tests.peers import ROOT

CASES = json.loads((ROOT / "tests" / "vectors" / "seal_cases.json").read_text(encoding="utf-8"))
DATA_KEY = ref.unb64(CASES["data_key"])


@pytest.mark.parametrize("entry", CASES["wraps"], ids=lambda e: e["name"])
def test_a_wrap_is_pbkdf2_sha256_then_aes_key_wrap(entry):
    made = ref.wrap(DATA_KEY, entry["secret"], ref.unb64(entry["salt"]), entry["iterations"])
    assert made["wrapped"] == entry["wrapped"]
    assert ref.unwrap(entry, entry["secret"]) == DATA_KEY
    with pytest.raises(InvalidUnwrap):
        ref.unwrap(entry, entry["secret"] + "0")


@pytest.mark.parametrize("record", CASES["records"], ids=lambda r: r["name"])
def test_a_record_opens_to_its_plaintext_and_only_under_its_own_id(record):
    assert ref.open_doc(DATA_KEY, record["stored"]) == record["plain"]
    with pytest.raises(InvalidTag):
        ref.open_doc(DATA_KEY, {**record["stored"], "_id": "household:g1:9-9-909"})
    clear = {k for k in record["stored"] if k != "sealed"}
    assert clear == {"_id", "_rev", "grid"}


@pytest.mark.parametrize("att", CASES["attachments"], ids=lambda a: a["name"])
def test_a_sealed_attachment_opens_to_its_bytes(att):
    assert ref.open_bytes(DATA_KEY, att["doc"], att["name"], ref.unb64(att["sealed"])) \
        == ref.unb64(att["plain"])


def test_the_javascript_twin_passes_the_same_answers_and_replicates_sealed():
    proc = subprocess.run(["node", "--test", "tests/js/seal.test.mjs"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout
