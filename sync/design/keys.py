"""View keys as bytes that sort as CouchDB collates them (sync/collate.py).

SQLite compares BLOBs byte by byte, so an index ordered by these bytes is
ordered by CouchDB's view collation and ranges become ``BETWEEN`` queries:
a type tag (``null < false < true < numbers < strings < arrays < objects``),
numbers as order-preserving IEEE doubles, strings as UTF-8 (code point
order, as ``collate.py``) with ``00`` escaped and ``00 00`` ending them,
arrays and objects as their members followed by ``00``, which sorts before
any tag, so a shorter prefix comes first.
"""

import struct

_NULL, _FALSE, _TRUE, _NUMBER, _STRING, _ARRAY, _OBJECT = (bytes([i]) for i in range(1, 8))
_END = b"\x00"


def encode(value):
    """The bytes of ``value`` in collation order.

    :raises TypeError: for something that is not JSON.
    """
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value, out):
    if value is None:
        out += _NULL
    elif value is False:
        out += _FALSE
    elif value is True:
        out += _TRUE
    elif isinstance(value, (int, float)):
        out += _NUMBER
        bits = struct.unpack(">Q", struct.pack(">d", float(value) + 0.0))[0]
        bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | (1 << 63)
        out += struct.pack(">Q", bits)
    elif isinstance(value, str):
        out += _STRING
        out += value.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff")
        out += b"\x00\x00"
    elif isinstance(value, (list, tuple)):
        out += _ARRAY
        for item in value:
            _encode(item, out)
        out += _END
    elif isinstance(value, dict):
        out += _OBJECT
        for key, item in value.items():
            _encode(key, out)
            _encode(item, out)
        out += _END
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")

