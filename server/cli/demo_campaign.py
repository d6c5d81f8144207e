"""The demo community's campaign: 冬季重点人群关爱摸排 (heating, medicine on
hand, emergency contact, needs, contact card handed out), its form from the
XLSForm `docs/campaign-winter.xlsx`, and one household's answers.

The documents are the same on every run of the same day (fixed ids, the
seed's times), so ``seed-demo`` stays idempotent; the answer is checked
against its form like any tablet's (``rules.answers``).
"""

from datetime import timedelta
from pathlib import Path

from rules import ids
from rules.answers import check
from rules.xlsform import convert, form_doc

XLSFORM = Path(__file__).resolve().parents[2] / "docs" / "campaign-winter.xlsx"
KEY = "winter2026"
NAME = "冬季重点人群关爱摸排"

# What 王芳 heard at household 1-1-101 of grid g1.
VALUES = {"heating": "own", "warm_enough": "no", "heating_problem": "电暖器坏了，晚上很冷",
          "medicine_days": 5, "medicine_needed": "降压药（硝苯地平缓释片）",
          "has_contact": "yes", "contact_name": "王建", "contact_relation": "child",
          "contact_phone": "139 1234 5678", "needs": ["medicine", "repair"], "needs_count": 2,
          "members": [{"member_name": "户主", "member_condition": "watch",
                       "member_note": "高血压，独居"}],
          "card_given": "yes"}


def documents(community, stamped_at, supervisor, worker, device):
    """The campaign, its form version 1 and one answer, stamped ``stamped_at``.

    :raises RuntimeError: when the demo answer does not fit its own form.
    """
    when = stamped_at.isoformat()
    campaign_id = f"campaign:community:{community}:{KEY}"
    form = form_doc(campaign_id, 1, convert(XLSFORM.read_bytes(), XLSFORM.name), supervisor,
                    when)
    start = stamped_at.date()
    campaign = {"_id": campaign_id, "type": "campaign", "schema": 2,
                "grid": ids.grid_of(campaign_id), "name": NAME,
                "description": "入冬前摸排重点人群的取暖、用药和紧急联系人，发放一人一专班联系卡",
                "period": {"start": (start - timedelta(days=1)).isoformat(),
                           "end": (start + timedelta(days=30)).isoformat()},
                "targets": {"kind": "tags", "values": ["over65", "elderly_alone", "chronic"]},
                "channels": ["door", "phone", "wechat"], "status": "open", "form": form["_id"],
                "created_by": supervisor, "created_at": when,
                "updated_by": supervisor, "updated_at": when, "device": device}
    answered = (stamped_at + timedelta(hours=4)).isoformat()
    answer = {"_id": f"answer:g1:{KEY}-1-1-101", "type": "answer", "schema": 2, "grid": "g1",
              "campaign": campaign_id, "form": form["_id"],
              "household": "household:g1:1-1-101", "channel": "door", "worker": worker,
              "answered_at": answered, "values": VALUES, "updated_by": worker,
              "updated_at": answered, "device": device}
    problems = check(VALUES, form, (stamped_at + timedelta(hours=4)).date())
    if problems:
        raise RuntimeError(f"the demo answer does not fit its form: {problems}")
    return [campaign, form, answer]
