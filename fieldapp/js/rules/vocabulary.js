// The product's vocabulary, defined once in rules/vocabulary.json for the
// server and the tablet alike (this folder's vocabulary.json is a link to it;
// tests/test_vocabulary.py checks both sides read the same words).

import WORDS from './vocabulary.json' with { type: 'json' };

export const COLOURS = WORDS.colours;
export const GENDERS = WORDS.genders;
export const MEMBER_STATUSES = WORDS.member_statuses;
export const HOUSEHOLD_STATUSES = WORDS.household_statuses;
export const TAGS = WORDS.tags;
export const OUTCOMES = WORDS.outcomes;
export const CHANNELS = WORDS.channels;
export const SYMPTOMS = WORDS.symptoms;
export const ANTIGEN = WORDS.antigen;
export const NEED_KINDS = WORDS.need_kinds;
export const REQUEST_KINDS = WORDS.request_kinds;
export const URGENCIES = WORDS.urgencies;
export const VISIT_STATUSES = WORDS.visit_statuses;
export const SLAS = WORDS.slas;
export const REQUEST_STATUSES = WORDS.request_statuses;
export const REFERRAL_STATUSES = WORDS.referral_statuses;
export const REFERRAL_TARGETS = WORDS.referral_targets;
export const DECISIONS = WORDS.decisions;
export const SATISFACTION = WORDS.satisfaction;
export const NOTICE_PRIORITIES = WORDS.notice_priorities;
export const AUDIENCES = WORDS.audiences;
export const REVIEW_STATES = WORDS.review_states;
export const PHOTO_TYPES = WORDS.photo_types;
export const ROLES = WORDS.roles;

/** red > yellow > green: the order of COLOURS. */
export const SEVERITY = Object.fromEntries(COLOURS.map((colour, rank) => [colour, rank]));

/** Every list of the vocabulary by its name in vocabulary.json. */
export const words = () => Object.fromEntries(
  Object.entries(WORDS).filter(([key]) => !key.startsWith('_')));

/** The statuses a request of kind moves through, in order. */
export const lifecycle = (kind) => (kind === 'referral' ? REFERRAL_STATUSES : REQUEST_STATUSES);
