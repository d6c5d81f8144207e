"""Review with evidence: a visit's photos on its review page (thumbnail and
full size, never another community's), bulk approval of the whole filtered
set (all pages) after a confirmation that says how many, nothing
pre-selected, and a referral tile on the dashboard."""

import base64
import re

from server.services import services
from tests import fielddocs as fd
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()


def test_the_review_page_shows_the_visits_photos(console_app):
    visit = fd.visit("g1", "h1", by="w1", _attachments={
        "door.png": {"content_type": "image/png", "data": PNG}})
    other = fd.visit("g3", "h3", by="w3", _attachments={
        "door.png": {"content_type": "image/png", "data": PNG}})
    write(console_app, [visit, other])
    s1 = browser_for(console_app, "s1")
    page = s1.text(f"/console/visits/{visit['_id']}")
    src = f"/console/visits/{visit['_id']}/photos/door.png"
    assert f'<img class="thumb" src="{src}"' in page and f'href="{src}"' in page
    full = s1.get(src)
    assert full.status_code == 200 and full.mimetype == "image/png"
    assert full.data == base64.b64decode(PNG)
    assert s1.get(f"/console/visits/{other['_id']}/photos/door.png").status_code == 404
    assert s1.get(f"/console/visits/{visit['_id']}/photos/none.png").status_code == 404


def test_bulk_approval_covers_every_page_of_the_filter_after_saying_how_many(console_app):
    console_app.config["CONSOLE_PAGE_SIZE"] = 5
    write(console_app, [fd.visit("g1", f"b{n}", by="w1") for n in range(12)]
          + [fd.visit("g2", "h2", by="w1")])
    s1 = browser_for(console_app, "s1")
    page = s1.text("/console/reviews?grid=g1&review=pending")
    assert len(re.findall(r'<tr data-id=', page)) == 5                   # one page shown
    assert 'data-confirm-count="13"' not in page
    count = re.search(r'data-confirm-count="(\d+)"', page).group(1)
    assert int(count) >= 12 and "确定批准筛选出的全部 {n} 条待审核走访" in page
    assert " checked" not in page.split('id="visits"')[1]                 # nothing pre-selected
    stale = s1.post("/console/reviews/approve-filtered", {"grid": "g1", "review": "pending",
                                                          "expected": str(int(count) - 1)})
    assert stale.status_code == 409
    done = s1.post("/console/reviews/approve-filtered", {"grid": "g1", "review": "pending",
                                                         "expected": count})
    assert done.status_code == 302
    assert "approve-filtered-button" not in s1.text("/console/reviews?grid=g1&review=pending")
    assert re.search(r'data-confirm-count="1"', s1.text("/console/reviews?grid=g2&review=pending"))
    logged = services(console_app).audit.list(action="review.bulk_approve")[0]
    assert logged["detail"]["count"] == int(count)
    s2 = browser_for(console_app, "s2")
    assert s2.post("/console/reviews/approve-filtered", {"grid": "g2", "review": "pending",
                                                         "expected": "0"}).status_code == 302
    assert re.search(r'data-confirm-count="1"', s1.text("/console/reviews?grid=g2&review=pending"))


def test_the_dashboard_has_a_referral_tile(console_app):
    write(console_app, [fd.request_doc("g1", "h1", by="w1", kind="referral", status="referred",
                                       target="family_doctor", target_name="王医生",
                                       sla="plan_2d")])
    page = browser_for(console_app, "s1").text("/console/dashboard")
    assert re.search(r'href="/console/requests\?kind=referral" id="referrals"><b>1</b>', page)
