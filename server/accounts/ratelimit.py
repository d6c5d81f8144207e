"""Login rate limiting, per account and per client address.

Failed password checks are counted in a sliding window; past the limit,
further attempts are refused (even with the right password) until the
window has moved on, with a message saying how long to wait. Counts live
in memory: each worker process counts its own, which still bounds guessing.
"""

import threading
import time
from collections import defaultdict, deque

from sync.errors import GridvisitError


class TooManyAttempts(GridvisitError):
    """Too many failed logins for an account or address (the reason says how long to wait)."""

    status = 429
    error = "too_many_requests"


class LoginLimiter:
    """Sliding-window counters of failed logins."""

    def __init__(self, per_account=5, per_address=20, window=900):
        self.limits = {"account": per_account, "address": per_address}
        self.window = window
        self._failures = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key, now):
        times = self._failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def check(self, name, address):
        """Refuse when either counter is full.

        :raises TooManyAttempts: naming the wait in minutes.
        """
        now = time.monotonic()
        with self._lock:
            for kind, key in (("account", name), ("address", address)):
                times = self._recent((kind, key), now)
                if len(times) >= self.limits[kind]:
                    wait = max(1, int((self.window - (now - times[0])) // 60) + 1)
                    raise TooManyAttempts(
                        f"登录失败次数过多，请 {wait} 分钟后再试。 "
                        f"Too many failed logins; try again in {wait} minutes.")

    def failed(self, name, address):
        """Count one failed attempt."""
        now = time.monotonic()
        with self._lock:
            self._failures[("account", name)].append(now)
            self._failures[("address", address)].append(now)

    def succeeded(self, name):
        """Forget the account's failures after a good login."""
        with self._lock:
            self._failures.pop(("account", name), None)
