"""Stamped household edits on a fixed clock, shared by the merge tests."""

import copy
import itertools

from rules.hlc import Clock
from rules.stamps import stamp_edit
from tests import fielddocs as fd


def clock_at(device, start=1_795_000_000_000):
    ticks = itertools.count(start, 1000)
    return Clock(device, now_ms_fn=lambda: next(ticks))


def edit(doc, clock, **changes):
    new = copy.deepcopy(doc)
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    return stamp_edit(doc, new, clock)


BASE = stamp_edit(None, fd.household("g1", "h1"), clock_at("seed", 1_790_000_000_000))
