"""One JSON line per request (time, user, device, method, route, status, ms)
and the request metrics taken at the same moment.

The route is the URL pattern (``/couch/<db>/<docid>``), never the path, so
no document id, household or name reaches the log; no header, body,
password or token is ever written. ``REQUEST_LOG`` chooses where: ``-`` for
standard error (journald under systemd), a file path (reopened when
logrotate moves it), or empty for none.
"""

import json
import logging
import sys
import time

from flask import g, request

from server.ops import metrics

LOGGER = "gridvisit.requests"


def _handler(target):
    if target == "-":
        return logging.StreamHandler(sys.stderr)
    from logging.handlers import WatchedFileHandler
    return WatchedFileHandler(target, encoding="utf-8")


def logger_for(target):
    """The request logger writing to ``target`` (once per process and target)."""
    log = logging.getLogger(f"{LOGGER}.{target}" if target else LOGGER)
    log.propagate = False
    log.setLevel(logging.INFO)
    if target and not log.handlers:
        handler = _handler(target)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    return log


def line(route, status, ms):
    """The log record of the current request, as a dict."""
    user = g.get("_login_user")          # only if the request already said who it is
    name = getattr(user, "name", None) if user is not None and user.is_authenticated else None
    return {"ts": round(time.time(), 3), "user": name, "device": g.get("device"),
            "method": request.method, "route": route, "status": status, "ms": ms}


def init_app(app):
    """Time every request of ``app``; log it and count it when it is answered."""
    target = app.config["REQUEST_LOG"]
    log = logger_for(target) if target else None

    @app.before_request
    def _start_clock():
        g.started = time.perf_counter()

    @app.after_request
    def _record(response):
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        route = metrics.route_of()
        metrics.observe(route, request.method, response.status_code, seconds)
        if log is not None:
            log.info(json.dumps(line(route, response.status_code, round(seconds * 1000, 1)),
                                ensure_ascii=False))
        return response
