"""The supervisor console: server-rendered pages under ``/console``.

One parent blueprint, ``console``, holds one child blueprint per page
module (login, dashboard, reviews, conflicts, households, requests,
notices, exports, replication, admin, ruleset, audit, quarantine). What the parent does
for all of them:

- every state-changing request must carry the CSRF token of its form
  (Flask-WTF); without it the answer is 400 before any view runs. Only
  the console checks tokens: the sync and JSON APIs authenticate every
  request with credentials a browser does not send by itself;
- every page needs a signed-in supervisor or admin (others are sent to the
  login page, or refused); what a supervisor sees is their communities'
  grids (see :mod:`.common`);
- errors become a page in the user's language (``error.html``);
- every answer carries a Content-Security-Policy allowing scripts from the
  console's own files only (``static/console/*.js``: no inline script) and
  ``frame-ancestors 'none'``; logout, like every post, needs the CSRF token.

Chart.js comes from the npm package (``node_modules/chart.js/dist``),
served by the console itself: no CDN.
"""

from pathlib import Path

from flask import (Blueprint, redirect, render_template, request, send_from_directory, session,
                   url_for)
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from . import i18n
from .common import fmt_duration, fmt_time, make_index, safe_next
from server.services import services

bp = Blueprint("console", __name__, url_prefix="/console")
csrf = CSRFProtect()
PUBLIC = {"console.login.login", "console.vendor", "console.lang"}
CHART_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "chart.js" / "dist"


@bp.before_request
def _guard():
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        csrf.protect()
    if request.endpoint in PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("console.login.login", next=request.full_path.rstrip("?")))
    if current_user.role not in ("supervisor", "admin"):
        from sync.errors import Forbidden
        raise Forbidden(i18n.t("login.not_supervisor"))
    return None


# Scripts only from the console's own files (no inline script, no eval), and
# no page of the console inside another site's frame (clickjacking).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@bp.after_request
def _security_headers(response):
    # A PDF opens in the browser's own viewer, which a page policy would block.
    response.headers["Content-Security-Policy"] = (
        "frame-ancestors 'none'" if response.mimetype == "application/pdf" else CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.app_template_global()
def url_with(**changes):
    """The current URL with some query arguments changed (None removes one)."""
    args = {k: v for k, v in request.args.items()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.get("/vendor/chart.umd.min.js")
def vendor():
    """Chart.js from the npm package, cached for a day."""
    return send_from_directory(CHART_DIST, "chart.umd.min.js", max_age=86400)


@bp.get("/lang/<code>")
def lang(code):
    """Switch the console's language (zh or en) and go back."""
    if code in i18n.LANGS:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@bp.get("/")
def home():
    """The console's front page is the dashboard."""
    return redirect(url_for("console.dashboard.dashboard"))


def init_app(app):
    """Install the console on ``app``: CSRF, the derived index, the pages."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)    # checked in _guard only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)     # a working day at the desk
    csrf.init_app(app)
    services(app).console_index = make_index(app)
    app.jinja_env.globals.update(t=i18n.t, label=i18n.label, lang=i18n.lang,
                                 fmt_time=fmt_time, fmt_duration=fmt_duration)
    app.register_blueprint(bp)


# The pages, one blueprint per module (registered once, at import).
from . import (accesslog, admin, auditlog, campaign_results, campaigns, conflicts,  # noqa: E402
               dashboard,
               erasure, exports, households, login, notices, quarantine, replication,
               report, requests as requests_pages, reviews, ruleset)

for _module in (login, dashboard, reviews, conflicts, households, requests_pages, notices,
                campaigns, campaign_results, exports, replication, admin, ruleset, auditlog, accesslog, erasure,
                quarantine, report):
    bp.register_blueprint(_module.bp)
