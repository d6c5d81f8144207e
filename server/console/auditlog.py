"""The audit log page: every supervisor and admin action, for admins."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from sync.errors import Forbidden

from .common import Pager
from .i18n import t
from server.services import services

bp = Blueprint("audit", __name__)


@bp.get("/audit")
def log():
    """Actions newest first, filtered by user or action prefix."""
    if not current_user.is_admin:
        raise Forbidden(t("error.forbidden"))
    user = request.args.get("user", "").strip()[:64]
    action = request.args.get("action", "").strip()[:64]
    audit = services().audit
    pager = Pager(audit.count(user, action))
    rows = audit.list(user, action, pager.size, pager.offset)
    return render_template("console/audit.html", rows=rows, pager=pager,
                           f={"user": user, "action": action})
