"""CouchDB's JSON collation: one total order over every JSON value.

``null < false < true < numbers < strings < arrays < objects`` (the order
of docs.couchdb.org "Views Collation"); arrays compare element by element,
a shorter prefix first; objects compare their members in order, key then
value, fewer members first. Strings compare by code point here, where
CouchDB uses ICU's UCA: the same for ASCII ids and digits, different for
letter case and accents. Mango selectors compare by this order, so values
of different types never raise ``TypeError``.
"""

import struct

_NULL, _FALSE, _TRUE, _NUMBER, _STRING, _ARRAY, _OBJECT = range(7)


def sort_key(value):
    """A Python-comparable key that orders ``value`` as CouchDB collates it."""
    if value is None:
        return (_NULL,)
    if value is False:
        return (_FALSE,)
    if value is True:
        return (_TRUE,)
    if isinstance(value, (int, float)):
        return (_NUMBER, value)
    if isinstance(value, str):
        return (_STRING, value)
    if isinstance(value, (list, tuple)):
        return (_ARRAY, tuple(sort_key(item) for item in value))
    if isinstance(value, dict):
        return (_OBJECT, tuple((sort_key(k), sort_key(v)) for k, v in value.items()))
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def compare(a, b):
    """-1, 0 or 1 as ``a`` collates before, with or after ``b``."""
    left, right = sort_key(a), sort_key(b)
    return (left > right) - (left < right)


_TAGS = {_NULL: b"\x01", _FALSE: b"\x02", _TRUE: b"\x03", _NUMBER: b"\x04",
         _STRING: b"\x05", _ARRAY: b"\x06", _OBJECT: b"\x07"}
_END = b"\x00"               # below every tag: a shorter array or object first
HIGH = b"\xff"               # above every tag: appended, an upper bound of a prefix


def _number_bytes(value):
    try:
        number = float(value)
    except OverflowError:                 # an integer beyond a double: clamp
        number = float("inf") if value > 0 else float("-inf")
    number = number or 0.0                # -0.0 collates as 0
    bits = struct.unpack(">Q", struct.pack(">d", number))[0]
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | (1 << 63)
    return struct.pack(">Q", bits)


def encode(value):
    """Bytes that sort (as SQLite compares BLOBs) as ``value`` collates.

    Each encoding ends itself, so a compound index key is the encodings of
    its columns one after another, and ``prefix + HIGH`` bounds every key
    that starts with ``prefix``. Numbers are compared as doubles (integers
    beyond 2**53 lose their last digits), as JavaScript and CouchDB's
    views compare them.
    """
    if value is None:
        return _TAGS[_NULL]
    if value is False:
        return _TAGS[_FALSE]
    if value is True:
        return _TAGS[_TRUE]
    if isinstance(value, (int, float)):
        return _TAGS[_NUMBER] + _number_bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff")
        return _TAGS[_STRING] + raw + b"\x00\x00"
    if isinstance(value, (list, tuple)):
        return _TAGS[_ARRAY] + b"".join(encode(item) for item in value) + _END
    if isinstance(value, dict):
        return _TAGS[_OBJECT] + b"".join(encode(k) + encode(v) for k, v in value.items()) + _END
    raise TypeError(f"not a JSON value: {type(value).__name__}")
