"""Resident ID numbers (rules/idnumber.py and fieldapp/js/rules/idnumber.js):
the standard's own example, the twins agreeing on random numbers, the mask."""

import json
import random
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rules import idnumber

NOW = datetime(2026, 11, 24, 12, tzinfo=timezone(timedelta(hours=8)))


def test_the_standards_example_ends_in_x():
    # GB 11643-1999's example number; ISO 7064 MOD 11-2 gives its X.
    assert idnumber.check_digit("11010519491231002") == "X"
    assert idnumber.problem("11010519491231002X", NOW) is None
    assert idnumber.problem("11010519491231002x", NOW) == "format"     # only the capital X
    assert idnumber.problem("110105194912310021", NOW) == "checksum"


def born(day):
    """The last 12 characters of a valid number of someone born on ``day`` (YYYYMMDD)."""
    return day + "001" + idnumber.check_digit("110101" + day + "001")


def test_the_birth_date_is_a_real_date_from_1900_to_today_anywhere():
    assert idnumber.problem("110101" + born("19000101"), NOW) is None
    assert idnumber.problem("110101" + born("18991231"), NOW) == "birth_date"
    assert idnumber.problem("110101" + born("20000229"), NOW) is None      # a leap day
    assert idnumber.problem("110101" + born("19000229"), NOW) == "birth_date"
    assert idnumber.problem("110101" + born("20261125"), NOW) == "birth_date"
    # 23:30 UTC on the 24th is already the 25th east of UTC+0:30: a birth that day is fine.
    late = datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc)
    assert idnumber.problem("110101" + born("20261125"), late) is None


def test_the_mask_keeps_the_first_and_last_four():
    assert idnumber.mask("11010519491231002X") == "1101**********002X"
    assert idnumber.mask("1101 0519") == "********"
    assert idnumber.mask(None) == ""


JS = """
import { problem } from './fieldapp/js/rules/idnumber.js';
const cases = JSON.parse(process.argv[1]);
process.stdout.write(JSON.stringify(cases.map(([n, ms]) => problem(n, ms))));
"""


def test_python_and_javascript_agree_on_random_numbers():
    rng = random.Random(11643)
    cases = []
    for _ in range(400):
        first = "".join(rng.choice("0123456789") for _ in range(17))
        if rng.random() < 0.6:      # most with a plausible date, so the check digit is reached
            first = first[:6] + f"{rng.randint(1895, 2030)}{rng.randint(0, 13):02d}" \
                f"{rng.randint(0, 32):02d}" + first[14:]
        last = rng.choice("0123456789Xx" + idnumber.check_digit(first) * 6)
        number = first + last if rng.random() < 0.95 else first[:rng.randint(0, 17)]
        cases.append((number, rng.randint(1_700_000_000_000, 1_900_000_000_000)))
    root = Path(__file__).parent.parent
    out = subprocess.run(["node", "--input-type=module", "-e", JS, json.dumps(cases)], cwd=root,
                         text=True, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    python = [idnumber.problem(n, datetime.fromtimestamp(ms / 1000, timezone.utc))
              for n, ms in cases]
    assert json.loads(out.stdout) == python
    assert {None, "format", "birth_date", "checksum"} <= set(python)
