"""CORS with credentials, for the origins named in ``CORS_ORIGINS``.

The field app is served by this server (same origin) and needs none of
this; other origins (a separately hosted app, a test page) must be listed.
"""

from flask import current_app, request

ALLOW_HEADERS = "Accept, Authorization, Content-Type, Origin, Referer, X-Requested-With"
ALLOW_METHODS = "GET, PUT, POST, HEAD, DELETE, OPTIONS"
EXPOSE_HEADERS = "Content-Type, Cache-Control, ETag, Server, Transfer-Encoding"


def allowed_origin():
    """The request's Origin when it is configured as allowed, else None."""
    origin = request.headers.get("Origin")
    configured = [o.strip() for o in current_app.config["CORS_ORIGINS"].split(",") if o.strip()]
    if origin and (origin in configured or "*" in configured):
        return origin
    return None


def _preflight():
    if request.method == "OPTIONS" and request.path.startswith(("/couch", "/api")) \
            and allowed_origin():
        return current_app.response_class(status=204)
    return None


def _headers(response):
    origin = allowed_origin()
    if origin and request.path.startswith(("/couch", "/api")):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        response.headers["Vary"] = "Origin"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


def init_app(app):
    """Answer preflights and add CORS headers for allowed origins."""
    app.before_request(_preflight)
    app.after_request(_headers)
