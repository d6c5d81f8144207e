"""Draw the field app's icons (PNG) with nothing but the standard library.

A 3×3 grid of rounded cells on a deep teal tile — the grid (网格) — with one
red, one yellow and one green cell for the three-colour marking. Run
``python fieldapp/icons/make_icons.py`` after changing the drawing; the PNGs
are committed, so nothing is drawn at install time.
"""

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEAL, WHITE = (11, 85, 99), (255, 255, 255)
CELLS = {(0, 0): (214, 48, 49), (1, 1): (245, 181, 0), (2, 2): (34, 139, 34)}
SAMPLES = 3                                    # supersampling per axis


def rounded(x, y, x0, y0, x1, y1, r):
    """Whether (x, y) lies in the rectangle with corners rounded by r."""
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_at(u, v, maskable):
    """The colour at unit coordinates (u, v), or None outside the tile."""
    if not maskable and not rounded(u, v, 0, 0, 1, 1, 0.18):
        return None
    pad = 0.22 if maskable else 0.14         # maskable icons keep a safe zone
    size = (1 - 2 * pad) / 3
    for row in range(3):
        for col in range(3):
            x0, y0 = pad + col * size, pad + row * size
            if rounded(u, v, x0 + 0.012, y0 + 0.012, x0 + size - 0.012, y0 + size - 0.012, 0.03):
                return CELLS.get((row, col), WHITE)
    return TEAL


def draw(size, maskable=False):
    """RGBA rows of one icon."""
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            acc, hits = [0, 0, 0], 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    c = colour_at((x + (sx + 0.5) / SAMPLES) / size,
                                  (y + (sy + 0.5) / SAMPLES) / size, maskable)
                    if c is not None:
                        hits += 1
                        acc = [a + b for a, b in zip(acc, c)]
            if hits:
                row += bytes(a // hits for a in acc) + bytes([255 * hits // SAMPLES ** 2])
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return rows


def png(rows, size):
    """A PNG file (8-bit RGBA) of the rows."""
    def chunk(kind, data):
        """One PNG chunk: length, kind, data, CRC."""
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + row for row in rows)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    """Write icon-192.png, icon-512.png and maskable-512.png beside this file."""
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("maskable-512.png", 512, True)):
        (HERE / name).write_bytes(png(draw(size, maskable), size))
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
