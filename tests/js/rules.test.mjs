// The tablet's early-warning rules against the shared vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluate, RuleError } from '../../fieldapp/js/rules/warnings.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/rule_cases.json', import.meta.url)));
const now = new Date(vectors.now);

for (const c of vectors.cases) {
  test(c.name, () => {
    const got = evaluate(vectors.rules, c.visit, c.household, now, c.answers);
    assert.deepEqual(got.warnings.map((w) => [w.rule, w.member]), c.expected.fired);
    assert.equal(got.colour, c.expected.colour);
    assert.equal(got.referral, c.expected.referral);
  });
}

for (const c of vectors.bad_rules) {
  test(`refused: ${c.name}`, () => {
    assert.throws(() => evaluate(c.rules, { checks: [{ member: 'm1', spo2: 80 }] },
      { members: [{ id: 'm1' }] }, now), RuleError);
  });
}
