"""Erasure on request from the console (admins): a household's or one
member's personal data erased everywhere (see :mod:`server.jobs.erasure`),
each erasure audit-logged; the erasure record (ids, who, when, why) listed."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sync.errors import Forbidden

from .common import audit, check_doc, display_names
from .i18n import t
from server.jobs.erasure import Erasures, erase
from server.services import services

bp = Blueprint("erasure", __name__)


def _admin():
    if not current_user.is_admin:
        raise Forbidden(t("error.forbidden"))


@bp.post("/households/<household_id>/erase")
def erase_household(household_id):
    """Erase the household (or the member named in the form) with the form's reason.

    :raises Forbidden: for anyone but an admin.
    :raises BadRequest: without a reason (naming the field).
    """
    _admin()
    check_doc(household_id, "household")
    member = request.form.get("member", "").strip() or None
    record = erase(current_app, current_user.name, household_id, member,
                   request.form.get("reason", ""))
    audit("erasure", household_id, member=member, erasure=record["id"])
    flash(t("erasure.done"), "ok")
    if member:
        return redirect(url_for("console.households.timeline", household_id=household_id))
    return redirect(url_for(".erasures"))


@bp.get("/erasures")
def erasures():
    """The erasure record, newest first (admins)."""
    _admin()
    rows = list(reversed(Erasures(services().serverdb).list()))
    return render_template("console/erasures.html", rows=rows, names=display_names())
