"""CouchDB database names for gridvisit databases and their partitions.

``field`` lives in CouchDB as ``{prefix}field`` (design documents, ``_local``
checkpoints, documents of no partition) and one database per partition,
``{prefix}field$p$g1``. A partition may hold any character (``*``, ``:``,
capitals, Chinese); what CouchDB's names do not allow (``^[a-z][a-z0-9_$()+/-]*$``)
is written ``(hh)``, its UTF-8 bytes in hex, so names never collide.
"""

import re

SEP = "$p$"
KEEP = re.compile(r"[a-z0-9_-]")


def root(prefix, name):
    """The CouchDB database of gridvisit database ``name`` itself."""
    return prefix + name


def encode_part(part):
    """A partition as a CouchDB name fragment."""
    return "".join(ch if KEEP.fullmatch(ch) else "".join(f"({b:02x})" for b in ch.encode())
                   for ch in part)


def decode_part(text):
    """The partition a name fragment stands for."""
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "(":
            out.append(int(text[i + 1:i + 3], 16))
            i += 4
        else:
            out.extend(text[i].encode())
            i += 1
    return out.decode()


def part_db(prefix, name, part):
    """The CouchDB database of partition ``part`` of ``name``."""
    return f"{prefix}{name}{SEP}{encode_part(part)}"


def split(prefix, couch_name):
    """``(gridvisit name, partition or None)`` of a CouchDB name, or None if not ours."""
    if not couch_name.startswith(prefix):
        return None
    rest = couch_name[len(prefix):]
    name, sep, part = rest.partition(SEP)
    return (name, decode_part(part)) if sep else (name, None)
