"""Valid campaign documents (docs/documents.md, 专项摸排) for tests: a campaign,
a form version with a small question model, an answer."""

import hashlib
import uuid

from rules import ids
from tests.fielddocs import stamp_time

XFORM = ('<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" '
         'xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>t</h:title><model>'
         '<instance><data id="t" version="1"><heating/></data></instance>'
         '<bind nodeset="/data/heating" type="string" required="true()"/></model></h:head>'
         '<h:body><select1 ref="/data/heating"><label>取暖</label>'
         '<item><label>是</label><value>yes</value></item></select1></h:body></h:html>')
QUESTIONS = [{"name": "heating", "path": "/data/heating", "type": "select_one", "list": "yn",
              "label": {"zh": "家中是否有取暖", "en": "Heating at home"}, "required": True}]
CHOICES = {"yn": [{"name": "yes", "label": {"zh": "是", "en": "Yes"}},
                  {"name": "no", "label": {"zh": "否", "en": "No"}}]}


def _common(kind, doc_id, grid, by):
    return {"_id": doc_id, "type": kind, "schema": 2, "grid": grid,
            "updated_at": stamp_time(), "updated_by": by}


def campaign(place="community:c1", key="winter", by="s1", **extra):
    """``campaign:{place}:{key}``: every household of the place, open."""
    doc_id = f"campaign:{ids.place_segment(place)}:{key}"
    doc = dict(_common("campaign", doc_id, ids.grid_of(doc_id), by),
               name="冬季重点人群关爱摸排", period={"start": "2026-12-01", "end": "2026-12-31"},
               targets={"kind": "all"}, status="open", created_by=by, created_at=stamp_time())
    doc.update(extra)
    return doc


def form(campaign_id, version=1, by="s1", questions=None, choices=None, xform=XFORM, **extra):
    """Version ``version`` of the campaign's form."""
    doc_id = ids.form_id(campaign_id, version)
    doc = dict(_common("form", doc_id, ids.grid_of(doc_id), by),
               campaign=campaign_id, form_version=version, title="冬季摸排", xform_id="winter",
               root="data", xform=xform, questions=questions or QUESTIONS,
               choices=CHOICES if choices is None else choices, languages=["zh", "en"],
               source={"file": "winter.xlsx", "sha256": hashlib.sha256(b"x").hexdigest(),
                       "size": 1},
               uploaded_by=by, uploaded_at=stamp_time())
    doc.update(extra)
    return doc


def answer(grid, campaign_id, form_id, by="w1", values=None, hh="h1", **extra):
    """An answer from household ``hh`` of ``grid``, given at the door."""
    doc = dict(_common("answer", f"answer:{grid}:{uuid.uuid4().hex}", grid, by),
               campaign=campaign_id, form=form_id, household=f"household:{grid}:{hh}",
               channel="door", worker=by, answered_at=stamp_time(),
               values={"heating": "yes"} if values is None else values)
    doc.update(extra)
    return doc
