"""Campaigns (专项摸排): start one for a community (admins also for a street or
everyone), and publish its questions by uploading an XLSForm spreadsheet.

A spreadsheet is converted by ``rules.xlsform`` (pyxform); a broken one is
shown back with every problem at its sheet, row and column, in the page's
language, with status 400 and nothing written. A good one becomes the next
form version (``form:{place}:{key}:{n}``, written once) and the campaign
names it as the version tablets ask now; answers already given keep theirs.
Closing a campaign (a supervisor their own community's, an admin any) ends
its asking on the tablets at their next sync; its answers and results stay,
and it can be opened again.
Every write goes through the user's own view (``writes``), so the same
rules hold as for a sync: a supervisor writes only their own communities'.
"""

import re
import uuid
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rules import ids
from rules.vocabulary import CAMPAIGN_STATUSES as STATUSES
from rules.xlsform import XLSFormError, convert, form_doc
from sync.errors import BadRequest, Forbidden, NotFound

from . import writes
from .common import audit, now_iso
from .forms import ActionForm
from .i18n import t
from .notices import communities_in_scope

bp = Blueprint("campaigns", __name__)
MAX_SPREADSHEET = 5 * 1024 * 1024
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _places():
    """``[(place partition, words)]`` the user may start a campaign for."""
    places = [(ids.place("community", c["id"]), c["name"]) for c in communities_in_scope()]
    if current_user.is_admin or current_user.role == "hub":
        places.append((ids.SHARED, t("campaign.everyone")))
    return places


def _listing():
    """Campaigns the user sees, newest first, each with its form versions."""
    forms = {}
    for doc in writes.docs_of_kind("form"):
        forms.setdefault(doc["campaign"], []).append(doc)
    rows = sorted(writes.docs_of_kind("campaign"), key=lambda d: d.get("created_at", ""),
                  reverse=True)
    places = _closing_places()
    for doc in rows:
        doc["versions"] = sorted(forms.get(doc["_id"], []), key=lambda f: f["form_version"])
        doc["closable"] = _closable(doc["_id"], places)
    return rows


def _page(problems=(), status=200):
    names = dict(_places())
    return render_template("console/campaigns.html", rows=_listing(), places=_places(),
                           place_names=names, problems=problems, action=ActionForm()), status


@bp.get("/campaigns")
def listing():
    """Every campaign the user sees, the form to start one, and uploads."""
    return _page()


def _day(name):
    value = (request.form.get(name) or "").strip()
    try:
        if DAY.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise BadRequest(f"{name}: {t('campaign.bad_dates')}")


@bp.post("/campaigns")
def create():
    """Start a campaign for one of the user's places (every household targeted)."""
    name = (request.form.get("name") or "").strip()
    if not 1 <= len(name) <= 100:
        raise BadRequest(f"name: {t('campaign.bad_name')}")
    place = request.form.get("place") or ""
    if place not in dict(_places()):
        raise BadRequest(f"place: {t('campaign.bad_place')}")
    at = now_iso()
    doc_id = f"campaign:{ids.place_segment(place)}:{uuid.uuid4().hex[:12]}"
    doc = {"_id": doc_id, "type": "campaign", "schema": 2, "grid": place, "name": name,
           "period": {"start": _day("start"), "end": _day("end")}, "targets": {"kind": "all"},
           "channels": ["door", "phone", "wechat"], "status": "open",
           "created_by": current_user.name, "created_at": at,
           "updated_by": current_user.name, "updated_at": at}
    writes.save_doc(doc)
    audit("campaign.create", doc_id, name=name, place=place)
    flash(t("campaign.created"), "ok")
    return redirect(url_for(".listing") + "#" + doc_id)


@bp.post("/campaigns/<path:campaign_id>/forms")
def upload(campaign_id):
    """Publish an uploaded XLSForm as the campaign's next form version."""
    if ids.doc_type(campaign_id) != "campaign":
        raise NotFound("no such campaign")
    campaign = writes.read(campaign_id)          # 404 outside the user's places
    sent = request.files.get("xlsform")
    if sent is None or not sent.filename:
        raise BadRequest(f"xlsform: {t('campaign.no_file')}")
    data = sent.read(MAX_SPREADSHEET + 1)
    if len(data) > MAX_SPREADSHEET:
        raise BadRequest(f"xlsform: {t('campaign.too_big')}")
    try:
        converted = convert(data, sent.filename)
    except XLSFormError as err:
        return _page(err.problems, 400)
    versions = [d["form_version"] for d in writes.docs_of_kind("form")
                if d.get("campaign") == campaign_id]
    version, at = max(versions, default=0) + 1, now_iso()
    form = form_doc(campaign_id, version, converted, current_user.name, at)
    writes.save_doc(form)
    writes.save_doc(dict(campaign, form=form["_id"], updated_by=current_user.name,
                         updated_at=at))
    audit("campaign.form", form["_id"], file=converted["source"]["file"],
          sha256=converted["source"]["sha256"], questions=len(converted["questions"]))
    flash(t("campaign.uploaded", n=version), "ok")
    return redirect(url_for(".listing") + "#" + campaign_id)


def _closing_places():
    """The places whose campaigns the user may close or reopen: None for an
    admin (every place), a supervisor's own communities, else none."""
    if current_user.is_admin:
        return None
    if current_user.role != "supervisor":
        return set()
    return {ids.place("community", c["id"]) for c in communities_in_scope()}


def _closable(campaign_id, places):
    """Whether ``campaign_id`` lies in ``places`` (see :func:`_closing_places`);
    decided on the id alone, so a refusal tells nothing of what exists."""
    return places is None or ids.grid_of(campaign_id) in places


@bp.post("/campaigns/<path:campaign_id>/status")
def set_status(campaign_id):
    """Close an open campaign, or open a closed one again, saying who and when."""
    if ids.doc_type(campaign_id) != "campaign":
        raise NotFound("no such campaign")
    status = request.form.get("status") or ""
    if status not in STATUSES:
        raise BadRequest(f"status: {t('campaign.bad_status')}")
    if not _closable(campaign_id, _closing_places()):
        raise Forbidden(f"status: {t('campaign.not_yours')}")
    campaign = writes.read(campaign_id)
    if campaign.get("status") == status:
        flash(t(f"campaign.already_{status}"), "ok")
        return redirect(url_for(".listing") + "#" + campaign_id)
    at = now_iso()
    changed = dict(campaign, status=status, updated_by=current_user.name, updated_at=at,
                   device=writes.device())
    if status == "closed":
        changed.update(closed_by=current_user.name, closed_at=at)
    else:
        changed.pop("closed_by", None)
        changed.pop("closed_at", None)
    writes.save_doc(changed)
    audit("campaign.close" if status == "closed" else "campaign.reopen", campaign_id,
          name=campaign.get("name"))
    flash(t(f"campaign.now_{status}"), "ok")
    return redirect(url_for(".listing") + "#" + campaign_id)
