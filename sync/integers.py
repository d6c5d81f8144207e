"""The one parser for integers that come from outside: query values, JSON
numbers in request bodies, seqs and ids in URLs.

SQLite integers are signed 64-bit, so anything outside that range is
refused here rather than raising ``OverflowError`` deep in a query; only
ASCII digits count (``str.isdigit`` accepts ``²``, which ``int`` refuses).
"""

import re

from .errors import BadRequest

INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,19}")


def parse_int(value, name, minimum=0, maximum=INT64_MAX):
    """``value`` (ASCII digits or a JSON integer) as an int in ``[minimum, maximum]``.

    :raises BadRequest: naming ``name`` and the rule.
    """
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
    if number is None or not minimum <= number <= maximum:
        raise BadRequest(f"{name}: 必须是 {minimum} 到 {maximum} 之间的整数 / must be an "
                         f"integer from {minimum} to {maximum}, not {_shown(value)}")
    return number


def is_int_text(text, maximum=INT64_MAX):
    """Whether ``text`` is ASCII digits naming an int in ``[0, maximum]``."""
    return (isinstance(text, str) and _INTEGER.fullmatch(text) is not None
            and 0 <= int(text) <= maximum)


def _shown(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
