"""Login throttling: growing delays per address and account, never a hard lock.

A hard lock after five wrong passwords lets anyone lock a real supervisor
out. Instead failures are counted under three keys, and past a key's free
allowance each further try must wait, the wait doubling with every failure
(1 s, 2 s, 4 s, ...):

- ``pair`` (one account from one address): ``per_account`` free failures,
  waits up to ``max_delay``: a guesser at one address is slowed to a crawl;
- ``address`` (any accounts from one address): ``per_address`` free, waits
  up to ``max_delay``: spraying many accounts from one address is slowed;
- ``account`` (one account from every address): four times ``per_account``
  free, waits of at most ``account_max_delay`` (a minute): guessing spread
  over many addresses still slows, while the real person, at their own
  address, waits a minute at most and is never locked out.

A try during a wait is refused without checking the password (so it is not
counted). Failures are forgotten after ``window`` seconds without one, and
after a good login; an admin can clear an account's at once (``unlock``).
Counts live in memory: each worker process counts its own, which still
bounds guessing.
"""

import threading
import time
from dataclasses import dataclass

from sync.errors import GridvisitError


class TooManyAttempts(GridvisitError):
    """Too many failed logins for an account or address (the reason says how long to wait)."""

    status = 429
    error = "too_many_requests"


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    until: float = 0.0


def _wait_words(seconds):
    if seconds < 60:
        return f"{seconds} 秒", f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return f"{minutes} 分钟", f"{minutes} minutes"


class LoginLimiter:
    """Failed-login counters with doubling waits (see the module docstring)."""

    def __init__(self, per_account=5, per_address=30, window=900, max_delay=900,
                 account_max_delay=60):
        self.free = {"pair": per_account, "address": per_address, "account": 4 * per_account}
        self.caps = {"pair": max_delay, "address": max_delay, "account": account_max_delay}
        self.window = window
        self._failures = {}
        self._lock = threading.Lock()

    def _keys(self, name, address):
        return (("pair", name, address), ("address", address), ("account", name))

    def _current(self, key, now):
        found = self._failures.get(key)
        if found is not None and now - found.last > self.window:
            del self._failures[key]
            return None
        return found

    def wait(self, name, address, now=None):
        """Seconds ``name`` must wait before trying from ``address`` (0: may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [f.until - now for key in self._keys(name, address)
                     if (f := self._current(key, now)) is not None]
        return max([0.0] + waits)

    def check(self, name, address):
        """Refuse a try during a wait.

        :raises TooManyAttempts: naming the wait, in Chinese and English.
        """
        left = self.wait(name, address)
        if left > 0:
            zh, en = _wait_words(max(1, int(left + 0.999)))
            raise TooManyAttempts(f"登录失败次数过多，请 {zh}后再试。 "
                                  f"Too many failed logins; try again in {en}.")

    def failed(self, name, address, now=None):
        """Count one failed attempt under each key and set its wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in self._keys(name, address):
                found = self._current(key, now) or self._failures.setdefault(key, _Failures())
                found.count += 1
                found.last = now
                over = found.count - self.free[key[0]]
                if over >= 0:
                    found.until = now + min(self.caps[key[0]], 2 ** min(over, 30))

    def succeeded(self, name, address=None):
        """Forget the account's failures after a good login."""
        self.unlock(name)

    def unlock(self, name):
        """Forget every failure of account ``name`` (an admin's unlock)."""
        with self._lock:
            for key in [k for k in self._failures if k[0] != "address" and k[1] == name]:
                del self._failures[key]

    def throttled(self, now=None):
        """``{name: seconds}`` of accounts with a wait still running somewhere."""
        now = time.monotonic() if now is None else now
        found = {}
        with self._lock:
            for key, failures in list(self._failures.items()):
                if key[0] != "address" and self._current(key, now) and failures.until > now:
                    found[key[1]] = max(found.get(key[1], 0), failures.until - now)
        return found
