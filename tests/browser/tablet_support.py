"""What a worker does on the tablet, as steps shared by the field app's tests."""


def record_visit(tablet, hh_id, outcome="met", temperature=None, colour=None, reason=None,
                 need=None, notes=None, follow_up=None):
    """Fill the new-visit form as a worker would and save it; early warnings
    the readings raise are overridden (these tests are about other things)."""
    page = tablet.page
    tablet.go(f"/hh/{hh_id}/visit")
    page.wait_for_selector("#visit-form")
    page.click(f"[data-name=outcome] [data-value={outcome}]")
    if temperature is not None:
        first = page.locator(".check").first
        first.locator(".include").check()
        first.locator("[name=temperature]").fill(str(temperature))
    if need:
        kind, detail, urgency = need
        page.click("#add-need")
        page.click(f".need [data-name=kind] [data-value={kind}]")
        page.fill(".need [name=detail]", detail)
        page.click(f".need [data-name=urgency] [data-value={urgency}]")
        page.check(".need [name=request]")
    if colour:
        page.click(f"[data-name=colour_after] [data-value={colour}]")
        page.fill("[name=colour_reason]", reason or "")
    if follow_up:
        page.click(f"[data-days='{follow_up}']")
    if notes:
        page.fill("[name=notes]", notes)
    undecided = page.locator(".warning:not(.decided)")
    while undecided.count():
        key = undecided.first.get_attribute("data-key")
        warning = page.locator(f".warning[data-key='{key}']")
        warning.locator(".warn-override").click()
        warning.locator("textarea").fill("复测正常，继续观察")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh_id}']")


def big_png(width, height):
    """A width×height PNG (RGB stripes), as a camera might hand one over."""
    import struct
    import zlib
    row = b"".join(bytes((x * 7 % 256, (x * 3) % 256, 120)) for x in range(width))
    raw = b"".join(b"\0" + row for _ in range(height))

    def chunk(kind, data):
        """One PNG chunk: length, kind, data, CRC."""
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
