"""Signing in to the console and out of it.

Only supervisors and admins may sign in; the password check is the
server's, rate-limited per account and per address. The session cookie is
the one the sync API accepts too (flask-login).
"""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from server.accounts.auth import check_password, end_session
from server.accounts.ratelimit import TooManyAttempts
from .common import audit, safe_next
from .forms import LoginForm
from .i18n import t

bp = Blueprint("login", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; on success, back to the page that asked for it."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        try:
            user = check_password(form.name.data, form.password.data)
        except TooManyAttempts as err:
            user, error = None, err.reason
        if user is not None and user.role not in ("supervisor", "admin"):
            user, error = None, t("login.not_supervisor")
        if user is not None:
            login_user(user)
            audit("login")
            return redirect(safe_next(form.next.data))
        error = error or t("login.failed")
    status = 401 if error else 200
    return render_template("console/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out (a form post, so another site cannot sign you out)."""
    if current_user.is_authenticated:
        audit("logout")
    end_session()
    return redirect(url_for("console.login.login"))
