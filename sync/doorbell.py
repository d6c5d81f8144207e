"""A doorbell between the processes that share one database file.

A write in one process (a server worker, the nightly job, the command line)
rings; a process with tablets waiting hears it at once, instead of at its
poller's next look. Only then does it ask SQLite what changed, so a ring
carries nothing but "look now".

A process that listens registers an empty file named by a random token in
the folder beside the database (``field.sqlite-bells/``) and receives on
the Unix datagram socket of the same name in Linux's abstract namespace
(no path, so no length limit and nothing left on disk by a killed
process but its registration). A ring sends an empty datagram to every
other registration; one whose socket is gone (the process died) is
removed by the first writer that finds it so. Sending never blocks: a
full queue means that process has a ring pending already.

Where abstract sockets do not exist (not Linux), :attr:`Doorbell.works` is
False and the watcher falls back to polling alone.
"""

import os
import secrets
import socket
import threading
from pathlib import Path

PREFIX = b"\0gridvisit-bell-"

_outbox = None                       # one sending socket for the process, opened on first ring
_outbox_lock = threading.Lock()


def _sender():
    global _outbox
    with _outbox_lock:
        if _outbox is None:
            _outbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            _outbox.setblocking(False)
        return _outbox


def _address(token):
    return PREFIX + token.encode("ascii")


class Doorbell:
    """Ring the other processes of one database; hear their rings."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.works = hasattr(socket, "AF_UNIX") and os.uname().sysname == "Linux"
        self._token = None
        self._inbox = None
        self._pid = None                     # the process that listens (not a fork of it)

    # -- ringing -----------------------------------------------------------

    def ring(self):
        """Tell every other listening process of this database to look now."""
        if not self.works:
            return
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return                           # no one has ever listened
        for entry in entries:
            if entry.name != self._token:
                self._send(entry)

    def _send(self, entry):
        try:
            _sender().sendto(b"", _address(entry.name))
        except BlockingIOError:
            pass                             # its queue is full: a ring is pending there
        except (ConnectionRefusedError, FileNotFoundError, UnicodeEncodeError):
            try:                             # nobody listens at that name any more
                os.unlink(entry.path)
            except OSError:
                pass
        except OSError:
            pass

    # -- listening ---------------------------------------------------------

    def listen(self):
        """Start hearing rings (idempotent); False when this system cannot."""
        if not self.works:
            return False
        if self._inbox is not None and self._pid == os.getpid():
            return True
        self._inbox = None                   # a forked child hears on its own socket
        token = secrets.token_hex(8)
        inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            inbox.bind(_address(token))
            self.folder.mkdir(exist_ok=True)
            (self.folder / token).touch()
        except OSError:
            inbox.close()
            self.works = False
            return False
        self._inbox, self._token, self._pid = inbox, token, os.getpid()
        return True

    def wait(self, timeout):
        """Sleep until a ring (True, every pending ring consumed) or ``timeout``."""
        self._inbox.settimeout(timeout)
        try:
            self._inbox.recv(1)
        except (socket.timeout, BlockingIOError):
            return False
        self._inbox.setblocking(False)
        try:
            while True:
                self._inbox.recv(1)
        except BlockingIOError:
            return True

    def interrupt(self):
        """Wake this process's own :meth:`wait` (it is stopping)."""
        token = self._token
        if token is not None:
            try:
                _sender().sendto(b"", _address(token))
            except OSError:
                pass

    def stop(self):
        """Stop hearing rings and withdraw the registration."""
        if self._inbox is None:
            return
        try:
            os.unlink(self.folder / self._token)
        except OSError:
            pass
        self._inbox.close()
        self._inbox = self._token = None

    def close(self):
        """Stop listening, for good."""
        self.stop()
        self.works = False
