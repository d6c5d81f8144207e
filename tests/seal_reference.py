"""The tablet's record format (fieldapp/js/keys.js, seal.js) read in Python
with the ``cryptography`` package: the reference the known-answer vectors
(tests/vectors/seal_cases.json) are made with, and what the browser test uses
to open a record a real Chromium wrote (docs/tablet_encryption.md)."""

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

MAGIC = b"GV1\0"


def kek(secret, salt, iterations):
    """PBKDF2-HMAC-SHA256(secret, salt, iterations), 32 bytes."""
    return PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(secret.encode())


def wrap(data_key, secret, salt, iterations):
    """A key entry {salt, iterations, wrapped} as keys.wrapUnder makes it."""
    wrapped = aes_key_wrap(kek(secret, salt, iterations), data_key)
    return {"salt": b64(salt), "iterations": iterations, "wrapped": b64(wrapped)}


def unwrap(entry, secret):
    """The raw data key of a key entry. :raises InvalidUnwrap: on a wrong secret."""
    return aes_key_unwrap(kek(secret, unb64(entry["salt"]), entry["iterations"]),
                          unb64(entry["wrapped"]))


def aad(doc_id, name=None):
    """The additional data binding a sealed body (or attachment) to its document."""
    return (f"gridvisit/1/{doc_id}" if name is None else f"gridvisit/1/{doc_id}/{name}").encode()


def seal_body(data_key, doc_id, body, iv):
    """{v, iv, ct} of body (a dict) under data_key with the given iv."""
    plain = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    ct = AESGCM(data_key).encrypt(iv, plain, aad(doc_id))
    return {"v": 1, "iv": b64(iv), "ct": b64(ct)}


def open_doc(data_key, stored):
    """The plaintext document of a stored (sealed) one."""
    sealed = stored["sealed"]
    plain = AESGCM(data_key).decrypt(unb64(sealed["iv"]), unb64(sealed["ct"]), aad(stored["_id"]))
    kept = {k: v for k, v in stored.items() if k.startswith("_")}
    return {**kept, **json.loads(plain)}


def open_bytes(data_key, doc_id, name, raw):
    """The plaintext of a sealed attachment's bytes."""
    assert raw[:4] == MAGIC, raw[:4]
    return AESGCM(data_key).decrypt(raw[4:16], raw[16:], aad(doc_id, name))


def b64(raw):
    """Standard base64 text."""
    return base64.b64encode(raw).decode("ascii")


def unb64(text):
    """Bytes of standard base64 text."""
    return base64.b64decode(text)
