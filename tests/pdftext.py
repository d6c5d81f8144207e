"""Text and page count of the PDFs gridvisit writes (ReportLab: ASCII85 and
Flate streams, TrueType subsets with ToUnicode maps), for tests — enough
to check what a reader would see, with no PDF library."""

import base64
import re
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STREAM = re.compile(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", re.S)
SHOW = re.compile(rb"/(\S+) [\d.]+ Tf|\((.*?)(?<!\\)\) ?Tj", re.S)


def _decode(head, raw):
    data = raw.strip()
    if b"ASCII85Decode" in head:
        data = base64.a85decode((data if data.startswith(b"<~") else b"<~" + data), adobe=True)
    if b"FlateDecode" in head:
        data = zlib.decompress(data)
    return data


def _objects(pdf):
    found = {}
    for number, body in OBJECT.findall(pdf):
        stream = STREAM.search(body)
        found[int(number)] = (body, _decode(*stream.groups()) if stream else None)
    return found


def _unescape(text):
    return re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)])
                  if m.group(1)[:1].isdigit() else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}
                  .get(m.group(1), m.group(1)), text)


def page_count(pdf):
    """How many pages the PDF has."""
    return len(re.findall(rb"/Type /Page\b", pdf))


def text(pdf):
    """The text shown on the PDF's pages, in drawing order."""
    objects = _objects(pdf)
    maps = {}
    for name, number in re.findall(rb"/(F\d+(?:\+\d+)?) (\d+) 0 R", pdf):
        body = objects.get(int(number), (b"", None))[0]
        cmap = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if cmap:
            table = objects[int(cmap.group(1))][1]
            maps[name] = {int(a, 16): chr(int(b, 16)) for a, b in
                          re.findall(rb"<([0-9a-fA-F]+)> <([0-9a-fA-F]+)>", table)}
    out, font = [], None
    for body, data in objects.values():
        if data is None or b"BT" not in data:
            continue
        for name, shown in SHOW.findall(data):
            if name:
                font = name
                continue
            raw = _unescape(shown)
            table = maps.get(font)
            out.append("".join(table.get(b, "?") for b in raw) if table
                       else raw.decode("latin-1"))
    return "".join(out)
