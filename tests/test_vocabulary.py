"""One vocabulary for the server and the tablet (rules/vocabulary.json).

Python reads it through ``rules.vocabulary``; the field app imports the same
file through ``fieldapp/js/rules/vocabulary.js`` (its ``vocabulary.json`` is a
link). Real node reads the JavaScript side here, and the schemas on both sides
must use these words, not lists of their own.
"""

import json
import subprocess
from pathlib import Path

from rules import vocabulary
from rules.schemas import household, notice, request, review, visit
from rules import fieldmerge, warning_rules
from server.accounts import users

ROOT = Path(__file__).resolve().parents[1]
READ_JS = """
import * as v from './fieldapp/js/rules/vocabulary.js';
import * as docs from './fieldapp/js/rules/schema/docs.js';
console.log(JSON.stringify({words: v.words(), severity: v.SEVERITY,
  docs: {COLOURS: docs.COLOURS, TAGS: docs.TAGS, OUTCOMES: docs.OUTCOMES,
         REQUEST_STATUSES: docs.REQUEST_STATUSES, REFERRAL_STATUSES: docs.REFERRAL_STATUSES,
         REVIEW_STATES: docs.REVIEW_STATES, referral: docs.statusesFor('referral')}}));
"""


def javascript_side():
    out = subprocess.run(["node", "--input-type=module", "-e", READ_JS], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert out.stderr == ""
    return json.loads(out.stdout)


def test_the_field_app_reads_the_same_words_as_the_server():
    js = javascript_side()
    assert js["words"] == vocabulary.words()
    assert js["severity"] == vocabulary.SEVERITY == {"green": 0, "yellow": 1, "red": 2}
    assert js["docs"]["COLOURS"] == list(vocabulary.COLOURS)
    assert js["docs"]["TAGS"] == list(vocabulary.TAGS)
    assert js["docs"]["OUTCOMES"] == list(vocabulary.OUTCOMES)
    assert js["docs"]["REQUEST_STATUSES"] == list(vocabulary.REQUEST_STATUSES)
    assert js["docs"]["REVIEW_STATES"] == list(vocabulary.REVIEW_STATES)
    assert js["docs"]["referral"] == list(vocabulary.lifecycle("referral"))


def test_the_link_in_the_field_app_is_the_one_file():
    link = ROOT / "fieldapp" / "js" / "rules" / "vocabulary.json"
    assert link.is_symlink() and link.resolve() == vocabulary.FILE


def test_python_modules_use_the_vocabulary_not_lists_of_their_own():
    assert household.TAGS is vocabulary.TAGS and household.GENDERS is vocabulary.GENDERS
    assert visit.OUTCOMES is vocabulary.OUTCOMES and visit.STATUSES is vocabulary.VISIT_STATUSES
    assert request.STATUSES is vocabulary.REQUEST_STATUSES
    assert request.REFERRAL_STATUSES is vocabulary.REFERRAL_STATUSES
    assert request.KINDS is vocabulary.REQUEST_KINDS
    assert notice.AUDIENCES is vocabulary.AUDIENCES and review.STATES is vocabulary.REVIEW_STATES
    assert fieldmerge.SEVERITY is warning_rules.SEVERITY is vocabulary.SEVERITY
    assert users.ROLES is vocabulary.ROLES


def test_request_kinds_are_the_need_kinds_and_complaint():
    assert vocabulary.REQUEST_KINDS == (*vocabulary.NEED_KINDS, "complaint")


def test_open_statuses_are_every_status_that_does_not_end_a_request():
    assert vocabulary.OPEN_STATUSES == ("open", "assigned", "in_progress", "referred",
                                        "accepted", "seen")
