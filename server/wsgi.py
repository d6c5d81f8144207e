"""Serving the app: gunicorn with threaded workers.

Waiting ``_changes`` requests (longpoll, continuous) hold a thread each,
while idle keep-alive connections wait in gunicorn's epoll loop, so
several hundred tablets can stay connected to one server. Each worker
process builds its own app, so no SQLite connection crosses a fork.
"""

import resource

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


def serve(factory, host, port, workers, threads, changes_timeout):
    """Run ``factory()`` under gunicorn until interrupted."""
    raise_open_file_limit()
    GunicornServer(factory, {
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
    }).run()
