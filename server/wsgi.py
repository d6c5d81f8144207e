"""Serving the app: gunicorn with threaded workers.

Waiting ``_changes`` requests (longpoll, continuous) hold a thread each,
while idle keep-alive connections wait in gunicorn's epoll loop, so
several hundred tablets can stay connected to one server. Each worker
process builds its own app, so no SQLite connection crosses a fork.

With a certificate gunicorn terminates TLS itself, and a second small
listener (werkzeug's threaded server in a child process) answers plain HTTP:
a redirect to HTTPS, except the CA page a tablet needs before it trusts the
certificate. gunicorn's TLS applies to every address it binds, hence the
separate process.
"""

import logging
import os
import resource
import signal

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    """gunicorn, configured in code rather than by a config file."""

    def __init__(self, factory, options):
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.factory()


def raise_open_file_limit():
    """Use the hard limit on open files: each connection needs one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def _plain_listener(factory, host, port):
    from werkzeug.serving import make_server
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request
    make_server(host, port, factory(), threaded=True).serve_forever()


def start_plain_listener(factory, host, port):
    """Serve ``factory()`` over plain HTTP on ``port`` in a forked child; its pid.

    A bare fork, not multiprocessing: gunicorn's workers are forked from the
    same master and must not inherit anything that joins children at exit.
    """
    pid = os.fork()
    if pid == 0:
        try:
            _plain_listener(factory, host, port)
        finally:
            os._exit(0)
    return pid


def release_feeds_on_stop(worker):
    """gunicorn's ``post_worker_init``: on the worker's SIGTERM, end every
    waiting ``_changes`` feed at once (they answer with what they have and
    the tablets reconnect) before gunicorn's own graceful stop, which would
    otherwise wait out ``graceful_timeout`` on longpolls sleeping between
    heartbeats."""
    from server.couch.feeds import stop_feeds
    graceful = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        stop_feeds()
        if callable(graceful):
            graceful(signum, frame)
    signal.signal(signal.SIGTERM, on_term)


def stop_plain_listener(pid):
    """Stop the plain-HTTP listener ``pid`` and reap it."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass                        # already gone (gunicorn may have reaped it)


def serve(factory, host, port, workers, threads, changes_timeout, tls=None, plain=None):
    """Run ``factory()`` under gunicorn until interrupted.

    ``tls`` is (certfile, keyfile) to serve HTTPS; ``plain`` is (port, factory)
    of the plain-HTTP listener beside it.
    """
    raise_open_file_limit()
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": 2000,
        "keepalive": 30,
        "timeout": max(120, changes_timeout + 30),
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "gridvisit",
    }
    from server.ops.metrics import worker_exited
    options["child_exit"] = worker_exited
    options["post_worker_init"] = release_feeds_on_stop
    if tls:
        options.update(certfile=str(tls[0]), keyfile=str(tls[1]))
    listener = start_plain_listener(plain[1], host, plain[0]) if tls and plain else None
    master = os.getpid()
    try:
        GunicornServer(factory, options).run()
    finally:
        # gunicorn's workers leave run() by sys.exit too: only the master stops the listener.
        if listener is not None and os.getpid() == master:
            stop_plain_listener(listener)
