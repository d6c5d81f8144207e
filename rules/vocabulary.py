"""The product's vocabulary, defined once in ``vocabulary.json`` for Python and
the field app alike: colours and their severity, visit outcomes, key-population
tags, request and referral lifecycles, review states, roles.

The field app imports the same file (``fieldapp/js/rules/vocabulary.json`` is
a link to it); ``tests/test_vocabulary.py`` checks that both sides read the
same words.
"""

import json
from pathlib import Path

FILE = Path(__file__).resolve().parent / "vocabulary.json"
_WORDS = {key: tuple(value) for key, value in json.loads(FILE.read_text(encoding="utf-8")).items()
          if not key.startswith("_")}

COLOURS = _WORDS["colours"]
GENDERS = _WORDS["genders"]
# Nobody is deleted from the roster: a member is marked moved or deceased,
# a household moved out.
MEMBER_STATUSES = _WORDS["member_statuses"]
HOUSEHOLD_STATUSES = _WORDS["household_statuses"]
TAGS = _WORDS["tags"]
OUTCOMES = _WORDS["outcomes"]
# How the household was reached: at the door, or remotely (readings optional).
CHANNELS = _WORDS["channels"]
SYMPTOMS = _WORDS["symptoms"]
ANTIGEN = _WORDS["antigen"]
NEED_KINDS = _WORDS["need_kinds"]
REQUEST_KINDS = _WORDS["request_kinds"]
URGENCIES = _WORDS["urgencies"]
VISIT_STATUSES = _WORDS["visit_statuses"]
SLAS = _WORDS["slas"]
REQUEST_STATUSES = _WORDS["request_statuses"]
REFERRAL_STATUSES = _WORDS["referral_statuses"]
REFERRAL_TARGETS = _WORDS["referral_targets"]
DECISIONS = _WORDS["decisions"]
SATISFACTION = _WORDS["satisfaction"]
NOTICE_PRIORITIES = _WORDS["notice_priorities"]
AUDIENCES = _WORDS["audiences"]
REVIEW_STATES = _WORDS["review_states"]
PHOTO_TYPES = _WORDS["photo_types"]
ROLES = _WORDS["roles"]
CAMPAIGN_STATUSES = _WORDS["campaign_statuses"]
CAMPAIGN_TARGETS = _WORDS["campaign_targets"]
QUESTION_TYPES = _WORDS["question_types"]

# red > yellow > green: the order of COLOURS.
SEVERITY = {colour: rank for rank, colour in enumerate(COLOURS)}
# Statuses that end a request or referral; every other one is open.
CLOSED_STATUSES = ("resolved", "closed")
OPEN_STATUSES = tuple(dict.fromkeys(status for status in REQUEST_STATUSES + REFERRAL_STATUSES
                                    if status not in CLOSED_STATUSES))


def words():
    """Every list of the vocabulary by its name in ``vocabulary.json``."""
    return {key: list(value) for key, value in _WORDS.items()}


def lifecycle(kind):
    """The statuses a request of ``kind`` moves through, in order."""
    return REFERRAL_STATUSES if kind == "referral" else REQUEST_STATUSES
