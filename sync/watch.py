"""Waiting for a database to change: what longpoll and continuous feeds do.

Writes in this process wake waiters at once (``notify``). Writes from
other processes (another server worker, the command line) are noticed by
one watcher thread per database that re-reads the seq twice a second while
anyone waits, so a waiting request costs no queries of its own.
"""

import threading
import time

WATCH_INTERVAL = 0.5      # seconds between seq checks for other processes' writes


class ChangeWatcher:
    """Wake waiters when the seq read by ``read_seq()`` moves on."""

    def __init__(self, read_seq, name):
        self.read_seq = read_seq
        self.name = name
        self._changed = threading.Condition()
        self._seen = 0
        self._waiters = 0
        self._thread = None
        self._closed = False

    def notify(self, seq):
        """A write in this process reached ``seq``."""
        with self._changed:
            self._seen = max(self._seen, seq)
            self._changed.notify_all()

    def wait(self, since_seq, timeout):
        """Block until the seq passes ``since_seq`` (True) or ``timeout`` ends."""
        deadline = time.monotonic() + timeout
        latest = self.read_seq()
        with self._changed:
            self._seen = max(self._seen, latest)
            self._waiters += 1
            self._start()
            try:
                while self._seen <= since_seq and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._changed.wait(left)
                return self._seen > since_seq
            finally:
                self._waiters -= 1

    def close(self):
        """Stop watching and release every waiter."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _start(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"watch-{self.name}")
            self._thread.start()

    def _run(self):
        while not self._closed:
            time.sleep(WATCH_INTERVAL)
            with self._changed:
                if not self._waiters:
                    continue
            try:
                seq = self.read_seq()
            except Exception:                # the file went away (deleted database)
                return
            self.notify(seq)
