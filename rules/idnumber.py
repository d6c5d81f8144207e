"""Resident ID numbers (居民身份证号, GB 11643-1999): the shape, the birth date, the check digit, the mask.

An ID number is 18 characters: a 6-digit area code, the birth date as
``YYYYMMDD``, a 3-digit sequence (odd for men, even for women) and a check
digit, ``0``–``9`` or ``X`` (ISO 7064 MOD 11-2 over the first 17). Only the
capital ``X`` is stored, so one number has one spelling (the tablet's form
capitalises what is typed). The JavaScript twin is
``fieldapp/js/rules/idnumber.js``; ``tests/vectors/schema_cases.json`` holds
both to the same cases.
"""

import re
from datetime import date, timedelta, timezone

SHAPE = re.compile(r"[0-9]{17}[0-9X]")
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK = "10X98765432"
EARLIEST = date(1900, 1, 1)
# The latest calendar date anywhere on earth at a given instant (UTC+14),
# so both languages accept today's births whatever the tablet's zone.
AHEAD = timedelta(hours=14)


def check_digit(first17):
    """The check character of the 17 digits ``first17``."""
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def birth_date(number):
    """The birth date written in ``number`` (characters 7–14), or None if it is not a date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def latest_birth(now):
    """The latest birth date an ID number may carry at ``now`` (an aware datetime)."""
    return (now.astimezone(timezone.utc) + AHEAD).date()


def problem(number, now):
    """The rule ``number`` breaks at ``now`` — ``"format"``, ``"birth_date"`` or
    ``"checksum"`` — or None for a valid ID number."""
    if not isinstance(number, str) or not SHAPE.fullmatch(number):
        return "format"
    born = birth_date(number)
    if born is None or not EARLIEST <= born <= latest_birth(now):
        return "birth_date"
    if check_digit(number[:17]) != number[17]:
        return "checksum"
    return None


def mask(number):
    """``number`` masked for a list or page: the first 4 and last 4 characters kept."""
    text = "".join(str(number or "").split())
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]
