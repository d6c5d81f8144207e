"""Times of the console: the console's time zone, ISO date-times, local days."""

import time
from datetime import date, datetime, timedelta, timezone


def parse_offset(text):
    """A ``+08:00``-style offset as a :class:`timezone`."""
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def epoch(text):
    """Seconds since the epoch of an ISO date-time (naive means UTC), or None."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def local_day(at, tz):
    """The date (``YYYY-MM-DD``) of epoch ``at`` in time zone ``tz``."""
    return datetime.fromtimestamp(at, tz).date().isoformat()


def today(tz, now=None):
    """Today's date in ``tz``."""
    return datetime.fromtimestamp(time.time() if now is None else now, tz).date()


def day_range(tz, days, now=None):
    """ISO dates of the last ``days`` days in ``tz``, oldest first."""
    end = today(tz, now)
    return [(end - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def parse_day(text):
    """A ``YYYY-MM-DD`` string as a date, or None."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
