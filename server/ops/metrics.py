"""Prometheus metrics of the server: requests by route and status, their
latency, open longpolls, documents written, refused and quarantined, merges
and replication runs; ``/metrics`` shows them.

gunicorn runs several worker processes, so `gridvisit serve` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before any worker starts and
``/metrics`` adds up every process's files (prometheus-client's multiprocess
mode). The client library is imported on first use, never at import time:
it reads that variable once, when it is imported.
"""

import ipaddress
import os
import shutil
import threading
from pathlib import Path

from flask import Blueprint, Response, request
from werkzeug.wsgi import ClosingIterator

bp = Blueprint("metrics", __name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_made = {}
_making = threading.Lock()


def _m():
    """The metric objects, made once per process on first use.

    Under a lock: the first requests of a worker arrive together on its
    threads, and a metric registered twice is an error (a 500 for whichever
    request lost the race, once a precached file of the field app).
    """
    if _made:
        return _made
    with _making:
        if _made:
            return _made
        from prometheus_client import Counter, Gauge, Histogram
        _made.update(
            requests=Counter("gridvisit_http_requests_total", "HTTP requests by route and status",
                             ["route", "method", "status"]),
            latency=Histogram("gridvisit_http_request_seconds",
                              "Time to the response's first byte, by route", ["route"],
                              buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)),
            longpolls=Gauge("gridvisit_open_longpolls", "Open longpoll and continuous _changes",
                            multiprocess_mode="livesum"),
            written=Counter("gridvisit_documents_written_total", "Documents written by clients"),
            refused=Counter("gridvisit_documents_refused_total",
                            "Documents refused by the write rules"),
            quarantined=Counter("gridvisit_documents_quarantined_total",
                                "Refused documents kept in quarantine"),
            merges=Counter("gridvisit_merges_total", "Conflicts merged on write"),
            runs=Counter("gridvisit_replication_runs_total", "Replication runs by outcome",
                         ["status"]))
    return _made


def prepare_multiprocess(data_dir):
    """Before gunicorn forks: a fresh folder for every process's metric files."""
    folder = Path(data_dir) / "run" / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def worker_exited(_server, worker):
    """gunicorn's ``child_exit`` hook: a dead worker's live gauges stop counting."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def bulk_written(results, sent):
    """Count a ``_bulk_docs`` outcome: ``sent`` documents, ``results`` as answered."""
    errors = [r for r in results if isinstance(r, dict) and r.get("error")]
    refused = sum(1 for r in errors if r["error"] == "forbidden")
    if sent - len(errors):
        _m()["written"].inc(sent - len(errors))
    if refused:
        _m()["refused"].inc(refused)


def quarantined():
    """Count one document kept in quarantine."""
    _m()["quarantined"].inc()


def replication_run(status):
    """Count one finished replication run by its status."""
    _m()["runs"].labels(status=status).inc()


def counting_merges(resolver):
    """``resolver`` (the store's merge), counting each merge it makes."""
    def resolve(doc_id, leaves):
        outcome = resolver(doc_id, leaves)
        if outcome is not None:
            _m()["merges"].inc()
        return outcome
    return resolve


def route_of():
    """The request's route pattern (bounded, unlike its path), or ``unmatched``."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def observe(route, method, status, seconds):
    """Count one answered request and its latency."""
    _m()["requests"].labels(route=route, method=method, status=str(status)).inc()
    _m()["latency"].labels(route=route).observe(seconds)


class LongpollGauge:
    """WSGI middleware: open longpoll and continuous ``_changes`` requests, until closed."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if not (environ.get("PATH_INFO", "").endswith("/_changes")
                and ("feed=longpoll" in query or "feed=continuous" in query)):
            return self.app(environ, start_response)
        gauge = _m()["longpolls"]
        gauge.inc()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            gauge.dec()
            raise
        return ClosingIterator(body, gauge.dec)


def _may_read():
    address = request.remote_addr or ""
    try:
        if ipaddress.ip_address(address).is_loopback:
            return True
    except ValueError:
        pass
    from server.accounts.auth import require_admin
    require_admin()
    return True


@bp.get("/metrics")
def metrics():
    """Prometheus exposition: from loopback (a local Prometheus) or for an admin.

    :raises Unauthorized: or Forbidden when another address asks without an admin's login.
    """
    _may_read()
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, \
        generate_latest
    _m()
    registry = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app):
    """``/metrics`` and the longpoll gauge on ``app`` (requests are counted by ``requestlog``)."""
    app.register_blueprint(bp)
    app.wsgi_app = LongpollGauge(app.wsgi_app)
