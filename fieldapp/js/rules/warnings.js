// Early-warning rules on the tablet: the twin of rules/warning_rules.py.
// Both pass tests/vectors/rule_cases.json; see the Python module for the
// rule language. Nothing but the vocabulary, so it runs offline in the browser.

import { SEVERITY } from './vocabulary.js';

export const OPERATORS = ['<', '<=', '>', '>=', '==', '!=', 'in', 'contains'];
// What each kind of test may read (the rules schema checks rule sets against it).
export const OPERANDS = {
  check: ['temperature', 'spo2', 'bp_systolic', 'bp_diastolic', 'antigen', 'symptoms'],
  member: ['age', 'tags'],
  household: ['colour', 'hours_since_visit'],
};
// An answer test: the campaign it reads, and the question (see the Python module).
export const ANSWER = 'answer';
export const QUESTION = 'question';
export const REPEAT_OPERATORS = ['contains'];   // a question inside a repeat is a list

export class RuleError extends Error {}

// Infinity counts (a household never visited is infinitely many hours ago).
function isNumber(v) {
  return typeof v === 'number' && !Number.isNaN(v);
}

function equal(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(value, op, expected) {
  if (value === null || value === undefined) return false;
  if (op === 'contains') return Array.isArray(value) && value.some((v) => equal(v, expected));
  if (op === 'in') return Array.isArray(expected) && expected.some((v) => equal(v, value));
  if (op === '==' || op === '!=') return equal(value, expected) === (op === '==');
  if (!isNumber(value) || !isNumber(expected)) return false;
  return { '<': value < expected, '<=': value <= expected, '>': value > expected,
    '>=': value >= expected }[op];
}

// How an answer ranks among a household's: newest time first, then _id.
function newer(a, b) {
  const at = (x) => {
    const t = typeof x.answered_at === 'string' ? Date.parse(x.answered_at) : NaN;
    return Number.isNaN(t) ? -Infinity : t;
  };
  if (at(a) !== at(b)) return at(a) > at(b);
  return String(a._id ?? '') > String(b._id ?? '');
}

/** {campaign id: values} of the newest answer to each campaign among answers. */
export function latestAnswers(answers) {
  const newest = new Map();
  for (const answer of answers ?? []) {
    if (!answer || typeof answer !== 'object' || typeof answer.campaign !== 'string') continue;
    const held = newest.get(answer.campaign);
    if (!held || newer(answer, held)) newest.set(answer.campaign, answer);
  }
  return new Map([...newest].map(([campaign, answer]) => [campaign, answer.values]));
}

// The value at the path names; through a repeat, every entry's, as one list.
function read(values, names) {
  if (Array.isArray(values) && names.length) {
    const found = [];
    for (const entry of values) {
      const got = read(entry, names);
      if (Array.isArray(got)) found.push(...got);
      else if (got !== null && got !== undefined) found.push(got);
    }
    return found;
  }
  if (!names.length) return values ?? null;
  return values && typeof values === 'object' ? read(values[names[0]], names.slice(1)) : null;
}

function answered(test, latest) {
  const question = test[QUESTION];
  if (typeof test[ANSWER] !== 'string' || typeof question !== 'string' || !question) {
    throw new RuleError(`condition ${JSON.stringify(test)}: an answer test names its campaign and question`);
  }
  if (!latest.has(test[ANSWER])) return null;            // never answered: unknown
  return read(latest.get(test[ANSWER]), question.split('/'));
}

function operand(test, check, member, household, now, latest) {
  if (ANSWER in test) return answered(test, latest);
  if ('check' in test) return (check ?? {})[test.check];
  if ('member' in test) {
    if (test.member === 'age') {
      const year = (member ?? {}).birth_year;
      return Number.isInteger(year) ? now.getUTCFullYear() - year : null;
    }
    const value = (member ?? {})[test.member];
    return value === undefined ? (test.member === 'tags' ? [] : null) : value;
  }
  if ('household' in test) {
    if (test.household === 'hours_since_visit') {
      const stamp = (household ?? {}).last_visit_at;
      if (stamp === undefined || stamp === null) return Infinity;  // never visited: longer ago than any hours
      const last = typeof stamp === 'string' ? Date.parse(stamp) : NaN;
      return Number.isNaN(last) ? null : (now.getTime() - last) / 3600000;
    }
    const value = (household ?? {})[test.household];
    return value === undefined ? null : value;
  }
  throw new RuleError(`condition ${JSON.stringify(test)}: test one of check, member, household or answer`);
}

function holds(cond, check, member, household, now, latest) {
  if ('all' in cond) return cond.all.every((c) => holds(c, check, member, household, now, latest));
  if ('any' in cond) return cond.any.some((c) => holds(c, check, member, household, now, latest));
  if (!OPERATORS.includes(cond.op)) {
    throw new RuleError(`condition ${JSON.stringify(cond)}: op must be one of ${OPERATORS.join(', ')}`);
  }
  return compare(operand(cond, check, member, household, now, latest), cond.op, cond.value);
}

function usesMember(cond) {
  if ('all' in cond || 'any' in cond) return (cond.all ?? cond.any).some(usesMember);
  return 'check' in cond || 'member' in cond;
}

/**
 * Warnings for a visit: {warnings, colour, referral}, as rules/warning_rules.py;
 * answers: the household's campaign answer documents, for answer tests.
 */
export function evaluate(rulesDoc, visit, household, now = new Date(), answers = []) {
  const latest = latestAnswers(answers);
  if (visit && typeof visit.visited_at === 'string' && !Number.isNaN(Date.parse(visit.visited_at))) {
    // The visit being recorded is the household's latest: "not visited for
    // 48 hours" never fires inside the very visit that clears it.
    household = { ...(household ?? {}), last_visit_at: visit.visited_at };
  }
  const members = new Map(((household ?? {}).members ?? [])
    .filter((m) => m && typeof m === 'object').map((m) => [m.id, m]));
  const checks = ((visit ?? {}).checks ?? []).filter((c) => c && typeof c === 'object');
  const warnings = [];
  for (const rule of (rulesDoc ?? {}).rules ?? []) {
    if (!rule || typeof rule !== 'object' || !('id' in rule) || !('when' in rule)) {
      throw new RuleError(`rule ${JSON.stringify(rule)}: needs id and when`);
    }
    let hits;
    try {
      hits = usesMember(rule.when)
        ? checks.filter((c) => holds(rule.when, c, members.get(c.member), household, now, latest))
          .map((c) => c.member ?? null)
        : (holds(rule.when, null, null, household, now, latest) ? [null] : []);
    } catch (err) {
      if (err instanceof RuleError) throw new RuleError(`rule ${rule.id}: ${err.message}`);
      throw err;
    }
    for (const member of hits) {
      warnings.push({ rule: rule.id, member, colour: rule.colour ?? null,
        referral: rule.referral ?? null, reason: rule.reason ?? {} });
    }
  }
  const ranked = [...warnings].sort((a, b) => (SEVERITY[b.colour] ?? -1) - (SEVERITY[a.colour] ?? -1));
  return { warnings, colour: ranked.length ? ranked[0].colour : null,
    referral: ranked.find((w) => w.referral)?.referral ?? null };
}
