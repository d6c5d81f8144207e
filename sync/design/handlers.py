"""``_show``, ``_list`` and ``_update`` functions (docs.couchdb.org "Show
Functions", "List Functions", "Update Functions"): ``show(doc, req)``
answers with a response; ``list(head, req)`` reads the view's rows with
``getRow()``, sets status and headers with ``start()`` and writes with
``send()``; ``update(doc, req)`` answers with ``[doc to save or null, response]``.

A response is a string (the body) or an object with ``code``, ``headers``
and one of ``body``, ``json`` or ``base64``; :func:`response` turns it into
``(status, headers, bytes)``.
"""

import base64
import binascii
import json

from ..errors import BadRequest, NotFound
from .engine import FunctionError
from .registry import design_docs, is_javascript


def _function(db, ddoc_name, field, name):
    registry = design_docs(db)
    ddoc = registry.get(ddoc_name)
    source = (ddoc.get(field) or {}).get(name) if is_javascript(ddoc) else None
    if not isinstance(source, str):
        raise NotFound(f"missing {field[:-1]} function {name}")
    sandbox = registry.sandbox(ddoc)
    sandbox.compile(f"{field}:{name}", source)
    return sandbox, f"{field}:{name}"


def _called(sandbox, name, *args):
    out = sandbox.call(name, *args)
    if "error" in out:
        thrown = out["error"]
        reason = thrown.get("reason", thrown) if isinstance(thrown, dict) else thrown
        raise FunctionError(f"{name}: {reason}")
    return out["ok"]


def show(db, ddoc_name, name, doc, req):
    """``(status, headers, body)`` of show function ``name`` on ``doc`` (or None).

    :raises NotFound: when the design document or function is missing.
    :raises FunctionError: when the function throws or runs too long.
    """
    sandbox, fn = _function(db, ddoc_name, "shows", name)
    return response(_called(sandbox, fn, doc, req))


def list_view(db, ddoc_name, name, head, rows, req):
    """``(status, headers, body)`` of list function ``name`` over a view's ``rows``.

    :raises NotFound: when the design document or function is missing.
    :raises FunctionError: when the function throws or runs too long.
    """
    sandbox, fn = _function(db, ddoc_name, "lists", name)
    out = sandbox.list(fn, head, rows, req)
    if "error" in out:
        thrown = out["error"]
        raise FunctionError(f"{name}: {thrown.get('reason', thrown)}")
    started = out["ok"]["start"] or {}
    if not isinstance(started, dict):
        raise FunctionError("start() 须传入对象 / start() takes an object")
    status, headers, _ = response(dict(started, body=""))
    return status, headers, "".join(out["ok"]["chunks"]).encode()


def update(db, ddoc_name, name, doc, req):
    """``(doc to save or None, (status, headers, body))`` of update function ``name``.

    :raises NotFound: when the design document or function is missing.
    :raises FunctionError: when it throws, runs too long or answers badly.
    """
    sandbox, fn = _function(db, ddoc_name, "updates", name)
    out = _called(sandbox, fn, doc, req)
    if not isinstance(out, list) or len(out) != 2:
        raise FunctionError(f"{name}: 更新函数须返回 [文档, 响应] / an update function must "
                            "return [doc, response]")
    new_doc, answer = out
    if new_doc is not None and not isinstance(new_doc, dict):
        raise FunctionError(f"{name}: 要保存的文档须是对象或 null / the doc to save must be an "
                            "object or null")
    return new_doc, response(answer)


def response(answer):
    """``(status, headers, bytes)`` of a show or update function's response.

    :raises FunctionError: for a response of the wrong shape.
    """
    if isinstance(answer, str):
        answer = {"body": answer}
    if answer is None:
        answer = {"body": ""}
    if not isinstance(answer, dict):
        raise FunctionError("响应须是字符串或对象 / a response must be a string or an object")
    headers = answer.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise FunctionError("headers 须是字符串对象 / `headers` must be an object of strings")
    code = answer.get("code", 200)
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
        raise FunctionError("code 须是 HTTP 状态码 / `code` must be an HTTP status")
    headers = dict(headers)
    if "json" in answer:
        body = json.dumps(answer["json"], ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "base64" in answer:
        try:
            body = base64.b64decode(answer["base64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise BadRequest("base64 响应无效 / the `base64` response is not base64") from None
    else:
        body = str(answer.get("body", "")).encode()
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
    return code, headers, body
