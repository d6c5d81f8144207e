"""Health checks for a supervisor process or a load balancer: ``/healthz``
(the process answers) and ``/readyz`` (the databases answer too)."""

from flask import Blueprint, current_app, jsonify

from server.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process serves requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: the server's tables and the field database can be read; 503 if not."""
    checks = {}
    try:
        with services().serverdb.connect() as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        checks["serverdb"] = "ok"
    except Exception as err:            # any failure means not ready; say which
        checks["serverdb"] = f"error: {type(err).__name__}"
    field = current_app.config["FIELD_DB"]
    try:
        store = services().store
        checks[field] = "ok" if not store.exists(field) or store.get(field).info() else "error"
    except Exception as err:
        checks[field] = f"error: {type(err).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
