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

function operand(test, check, member, household, now) {
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
  throw new RuleError(`condition ${JSON.stringify(test)}: test one of check, member or household`);
}

function holds(cond, check, member, household, now) {
  if ('all' in cond) return cond.all.every((c) => holds(c, check, member, household, now));
  if ('any' in cond) return cond.any.some((c) => holds(c, check, member, household, now));
  if (!OPERATORS.includes(cond.op)) {
    throw new RuleError(`condition ${JSON.stringify(cond)}: op must be one of ${OPERATORS.join(', ')}`);
  }
  return compare(operand(cond, check, member, household, now), cond.op, cond.value);
}

function usesMember(cond) {
  if ('all' in cond || 'any' in cond) return (cond.all ?? cond.any).some(usesMember);
  return 'check' in cond || 'member' in cond;
}

/** Warnings for a visit: {warnings, colour, referral}, as rules/warning_rules.py. */
export function evaluate(rulesDoc, visit, household, now = new Date()) {
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
    const hits = usesMember(rule.when)
      ? checks.filter((c) => holds(rule.when, c, members.get(c.member), household, now))
        .map((c) => c.member ?? null)
      : (holds(rule.when, null, null, household, now) ? [null] : []);
    for (const member of hits) {
      warnings.push({ rule: rule.id, member, colour: rule.colour ?? null,
        referral: rule.referral ?? null, reason: rule.reason ?? {} });
    }
  }
  const ranked = [...warnings].sort((a, b) => (SEVERITY[b.colour] ?? -1) - (SEVERITY[a.colour] ?? -1));
  return { warnings, colour: ranked.length ? ranked[0].colour : null,
    referral: ranked.find((w) => w.referral)?.referral ?? null };
}
