"""``_changes`` responses: normal, longpoll and continuous.

Longpoll and continuous feeds wait for writes (woken at once by writes in
this process) and send a newline every ``heartbeat`` milliseconds while
they wait, so proxies and clients know the connection is alive. No feed
waits longer than the ``CHANGES_TIMEOUT`` setting. When the server stops
(:func:`stop_feeds`, on a worker's SIGTERM), every waiting feed answers at
once with what it has, so clients reconnect at once and the restart does
not wait out its graceful timeout.
"""

import threading
import time

from flask import Response, current_app, request, stream_with_context

from sync import watch
from sync.errors import BadRequest
from sync.selector import check as check_selector

from server.access import design
from server.couch.params import body_int, qbool, qint, qjson
from server.jsonbody import strict_dumps

FEEDS = ("normal", "longpoll", "continuous")
DEFAULT_HEARTBEAT_MS = 60_000
_stopping = threading.Event()


def stop_feeds():
    """This process is stopping: end every waiting feed now, and let none wait."""
    _stopping.set()
    watch.release_all()


def _doc_ids(body):
    ids = body.get("doc_ids", qjson("doc_ids"))
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("`doc_ids` must be a JSON array of document ids")
    return ids


def changes_params(body):
    """The checked parameters of a ``_changes`` request.

    :raises BadRequest: naming the parameter and what it must be.
    """
    feed = request.args.get("feed", "normal")
    if feed not in FEEDS:
        raise BadRequest(f"Query parameter `feed` must be one of {', '.join(FEEDS)}")
    filter_name = request.args.get("filter")
    doc_ids = selector = None
    if filter_name == "_doc_ids":
        doc_ids = _doc_ids(body)
        if doc_ids is None:
            raise BadRequest("filter=_doc_ids needs `doc_ids` in the body or query")
    elif filter_name == "_selector":
        selector = body.get("selector")
        if not isinstance(selector, dict):
            raise BadRequest("filter=_selector needs a `selector` object in the body")
        check_selector(selector)
    elif filter_name and filter_name not in ("_view", "_design") and "/" not in filter_name:
        raise BadRequest(f"不支持的过滤器 {filter_name!r} / unsupported filter {filter_name!r}: "
                         "use _doc_ids, _selector, _view, _design or ddoc/name")
    heartbeat = request.args.get("heartbeat")
    if heartbeat in (None, "false"):
        heartbeat_ms = None
    elif heartbeat == "true":
        heartbeat_ms = DEFAULT_HEARTBEAT_MS
    else:
        heartbeat_ms = qint("heartbeat", minimum=1)
    cap = current_app.config["CHANGES_TIMEOUT"]
    timeout_ms = qint("timeout", minimum=0)
    timeout = cap if timeout_ms is None else min(timeout_ms / 1000, cap)
    style = request.args.get("style", "main_only")
    return dict(feed=feed, since=qjson("since", body.get("since", 0)),
                filter=filter_name, view=request.args.get("view"),
                limit=qint("limit", body_int(body, "limit")), style=style, doc_ids=doc_ids,
                selector=selector,
                include_docs=qbool("include_docs"), conflicts=qbool("conflicts"),
                descending=qbool("descending"), heartbeat=heartbeat_ms, timeout=timeout)


HIDDEN_HEADERS = ("authorization", "cookie")


def filter_request(view):
    """CouchDB's ``req`` object for a filter function (docs.couchdb.org "Request
    Object"), without the caller's credentials."""
    return {"info": view.info(), "id": None, "method": request.method,
            "path": [p for p in request.path.split("/") if p][1:],
            "requested_path": [p for p in request.path.split("/") if p][1:],
            "raw_path": request.full_path.rstrip("?"), "query": request.args.to_dict(),
            "headers": {k: v for k, v in request.headers.items()
                        if k.lower() not in HIDDEN_HEADERS},
            "body": request.get_data(as_text=True) or "undefined", "peer": request.remote_addr,
            "form": {}, "cookie": {}, "userCtx": design.user_ctx(view),
            "secObj": {"admins": {"names": [], "roles": []},
                       "members": {"names": [], "roles": []}}}


def _page(view, params, since):
    return view.changes(since=since, limit=params["limit"], style=params["style"],
                        doc_ids=params["doc_ids"], selector=params["selector"],
                        predicate=params.get("predicate"),
                        include_docs=params["include_docs"],
                        conflicts=params["conflicts"], descending=params["descending"])


def _wait(view, seq, deadline, heartbeat_ms):
    """Wait for a write after ``seq``; yield a newline at each heartbeat."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or _stopping.is_set():
            return
        step = left if heartbeat_ms is None else min(left, heartbeat_ms / 1000)
        if view.wait_for_change(seq, step):
            return
        if heartbeat_ms is not None and deadline - time.monotonic() > 0:
            yield "\n"


def render_page(page):
    """A changes page laid out as CouchDB does: one result row per line.

    Some clients (cloudant's feed reader) read the normal feed line by line.
    """
    rows = ",\n".join(strict_dumps(row) for row in page["results"])
    tail = strict_dumps({"last_seq": page["last_seq"], "pending": page["pending"]})[1:]
    return '{"results":[\n' + rows + ("\n" if rows else "") + "],\n" + tail + "\n"


def respond(view, params):
    """The response for a ``_changes`` request."""
    params["predicate"] = design.changes_predicate(view, params, lambda: filter_request(view))
    if params["feed"] == "normal" or params["descending"]:
        page = _page(view, params, params["since"])
        return Response(render_page(page), mimetype="application/json")
    first = _page(view, params, params["since"])
    if params["feed"] == "longpoll" and first["results"]:
        return Response(render_page(first), mimetype="application/json")
    stream = _longpoll if params["feed"] == "longpoll" else _continuous
    return Response(stream_with_context(stream(view, params, first)),
                    mimetype="application/json")


def _longpoll(view, params, first):
    deadline = time.monotonic() + params["timeout"]
    page = first
    while True:
        seq = view.decode_since(page["last_seq"])
        yield from _wait(view, seq, deadline, params["heartbeat"])
        page = _page(view, params, page["last_seq"])
        # Writes this user may not see wake the wait too: keep waiting.
        if page["results"] or time.monotonic() >= deadline or _stopping.is_set():
            break
    yield render_page(page)


def _continuous(view, params, first):
    deadline = time.monotonic() + params["timeout"]
    page, sent = first, 0
    limit = params["limit"]
    while True:
        for row in page["results"]:
            yield strict_dumps(row) + "\n"
            sent += 1
        last = page["last_seq"]
        if (limit is not None and sent >= limit) or time.monotonic() >= deadline:
            break
        if page["pending"]:
            page = _page(view, params, last)
            continue
        yield from _wait(view, view.decode_since(last), deadline, params["heartbeat"])
        if time.monotonic() >= deadline or _stopping.is_set():
            break
        page = _page(view, params, last)
    yield strict_dumps({"last_seq": last, "pending": 0}) + "\n"
