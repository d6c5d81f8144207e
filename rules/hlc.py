"""Hybrid logical clock: stamps ``"{ms:013d}-{counter:04d}"`` that sort as strings.

A stamp attached to a field is ``[hlc, device]``; stamps order by
``(hlc, device)``. The JavaScript twin is ``fieldapp/js/rules/hlc.js``; both are
checked against ``tests/vectors/stamp_cases.json`` (see docs/stamps.md).
"""

import json
import math
import re
import time

from sync.errors import BadRequest

HLC_RE = re.compile(r"[0-9]{13}-[0-9]{4}")   # ASCII digits only: no \d (it matches ١ and ３)
ZERO = "0000000000000-0000"
MAX_MS = 10 ** 13 - 1
MAX_COUNTER = 9999
MAX_DEVICE = 64


class StampError(BadRequest, ValueError):
    """A malformed hlc, stamp, device id or clock state (400 bad_request)."""


def is_hlc(value):
    """True when ``value`` is a well-formed hlc string."""
    return isinstance(value, str) and HLC_RE.fullmatch(value) is not None


def parse_hlc(value):
    """``(ms, counter)`` of a well-formed hlc string, else StampError."""
    if not is_hlc(value):
        raise StampError(f"malformed hlc {value!r}: expected 13 digits, '-', 4 digits")
    return int(value[:13]), int(value[14:])


def format_hlc(ms, counter):
    """The hlc string of ``(ms, counter)``, carrying a counter past 9999 into ms."""
    if counter > MAX_COUNTER:
        ms, counter = ms + 1, 0
    if not 0 <= ms <= MAX_MS or not 0 <= counter <= MAX_COUNTER:
        raise StampError(f"clock exhausted: ms {ms} counter {counter} do not fit an hlc")
    return f"{ms:013d}-{counter:04d}"


def check_device(device):
    """``device`` if it is a 1–64 character string, else StampError."""
    if not isinstance(device, str) or not 1 <= len(device) <= MAX_DEVICE:
        raise StampError(f"malformed device id {device!r}: expected 1-64 characters")
    return device


def check_stamp(stamp):
    """``[hlc, device]`` as a new list if ``stamp`` is well formed, else StampError."""
    if not isinstance(stamp, (list, tuple)) or len(stamp) != 2:
        raise StampError(f"malformed stamp {stamp!r}: expected [hlc, device]")
    parse_hlc(stamp[0])
    check_device(stamp[1])
    return [stamp[0], stamp[1]]


def compare(a, b):
    """-1, 0 or 1 as stamp ``a`` is older than, equal to or newer than ``b``; None is oldest."""
    ka = None if a is None else tuple(check_stamp(a))
    kb = None if b is None else tuple(check_stamp(b))
    if ka is None or kb is None:
        return (ka is not None) - (kb is not None)
    return (ka > kb) - (ka < kb)


def newer(a, b):
    """True when stamp ``a`` is strictly newer than stamp ``b`` (None is oldest)."""
    return compare(a, b) > 0


def _wall(now_ms_fn):
    now = now_ms_fn()
    if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
        raise StampError(f"clock source returned {now!r}, not milliseconds")
    now = math.floor(now)
    if now > MAX_MS:
        raise StampError(f"clock source returned {now}, beyond 13 digits of milliseconds")
    return now


def _system_ms():
    return time.time_ns() // 1_000_000


class Clock:
    """A hybrid logical clock of one device; ``hlc`` is the last stamp it issued."""

    def __init__(self, device, now_ms_fn=None, hlc=ZERO):
        self.device = check_device(device)
        self.now_ms_fn = now_ms_fn or _system_ms
        self.ms, self.counter = parse_hlc(hlc)

    @property
    def hlc(self):
        """The last hlc issued or received (``ZERO`` for a fresh clock)."""
        return format_hlc(self.ms, self.counter)

    def _set(self, ms, counter):
        hlc = format_hlc(ms, counter)         # raises before any state changes
        self.ms, self.counter = parse_hlc(hlc)
        return hlc

    def tick(self):
        """A new hlc for a local edit, later than every hlc this clock has seen."""
        now = _wall(self.now_ms_fn)
        if now > self.ms:
            return self._set(now, 0)
        return self._set(self.ms, self.counter + 1)

    def receive(self, hlc):
        """Merge a remote hlc string; returns a new hlc later than it and than local."""
        rms, rcounter = parse_hlc(hlc)
        now = _wall(self.now_ms_fn)
        ms = max(self.ms, rms, now)
        if ms == self.ms == rms:
            counter = max(self.counter, rcounter) + 1
        elif ms == self.ms:
            counter = self.counter + 1
        elif ms == rms:
            counter = rcounter + 1
        else:
            counter = 0
        return self._set(ms, counter)

    def to_json(self):
        """The persistable state ``{"device": ..., "hlc": ...}``."""
        return {"device": self.device, "hlc": self.hlc}

    @classmethod
    def from_json(cls, state, now_ms_fn=None):
        """A clock restored from ``to_json()`` output (a dict or its JSON text)."""
        if isinstance(state, str):
            try:
                state = json.loads(state)
            except ValueError as err:
                raise StampError(f"malformed clock state: {err}") from None
        if not isinstance(state, dict) or set(state) != {"device", "hlc"}:
            raise StampError(f"malformed clock state {state!r}: expected {{device, hlc}}")
        return cls(state["device"], now_ms_fn, state["hlc"])

    def __repr__(self):
        return f"Clock({self.device!r}, hlc={self.hlc!r})"
