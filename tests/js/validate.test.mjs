// The field app's validator (fieldapp/js/rules/validate.js) against the cases the
// server's schemas also run: tests/vectors/schema_cases.json. Each valid doc
// passes; each invalid one breaks exactly one rule, at the same field path.
// Run with `node --test tests/js/` (tests/test_stamps.py does, too).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { reasonOf, validate } from '../../fieldapp/js/rules/validate.js';

const VECTORS = JSON.parse(readFileSync(new URL('../vectors/schema_cases.json', import.meta.url), 'utf8'));
const NOW = VECTORS.now;
const HAN = /[\u4e00-\u9fff]/;
const byName = (name) => structuredClone(VECTORS.valid.find((c) => c.name === name).doc);

for (const c of VECTORS.valid) {
  test(`valid: ${c.name}`, () => {
    assert.deepEqual(validate(structuredClone(c.doc), NOW), []);
  });
}

for (const c of VECTORS.invalid) {
  test(`invalid: ${c.name}`, () => {
    const errors = validate(structuredClone(c.doc), NOW);
    assert.deepEqual(errors.map((e) => [e.field, e.rule]), [[c.field, c.rule]]);
    assert.match(errors[0].zh, HAN);
    assert.ok(errors[0].en.length > 0);
  });
}

test('messages read as the server writes them', () => {
  const doc = byName('visit: full, submitted, photo stub');
  doc.checks[0].temperature = 44;
  doc.colour_after = 'purple';
  const errors = validate(doc, NOW);
  assert.deepEqual(errors.find((e) => e.field === 'checks[0].temperature'), {
    field: 'checks[0].temperature', rule: 'range',
    zh: '体温须在 34–43 °C 之间', en: 'temperature must be between 34 and 43 °C',
  });
  assert.equal(errors.find((e) => e.field === 'colour_after').rule, 'enum');
  assert.match(reasonOf(errors), /checks\[0\]\.temperature: 体温须在 34–43 °C 之间 \/ temperature/);
});

test('every problem is reported at once', () => {
  const doc = byName('household: full, schema 2 with stamps');
  Object.assign(doc, { building: '', colour: 'blue', colr: 1, members: [{ id: 'm1' }, { id: 'm1', name: '' }] });
  const got = new Set(validate(doc, NOW).map((e) => `${e.field}/${e.rule}`));
  assert.deepEqual(got, new Set(['building/length', 'colour/enum', 'colr/unknown',
    'members[0].name/required', 'members[1].name/length', 'members[1].id/unique']));
});

test('the clock: ten minutes of skew, no more', () => {
  const doc = byName('household: full, schema 2 with stamps'); // updated 09:15 +08:00
  assert.deepEqual(validate(doc, '2026-11-24T09:05:00+08:00'), []);
  assert.deepEqual(validate(doc, '2026-11-24T09:04:59+08:00').map((e) => e.rule), ['future']);
  assert.deepEqual(validate(doc, new Date('2026-11-24T01:05:00Z')), []);
});

test('validate does not change the document', () => {
  for (const c of [...VECTORS.valid, ...VECTORS.invalid]) {
    const before = structuredClone(c.doc);
    validate(c.doc, NOW);
    assert.deepEqual(c.doc, before);
  }
});

test('non-documents fail on the id', () => {
  for (const doc of [null, 'household', 3, [], [{ _id: 'grid:g' }]]) {
    assert.deepEqual(validate(doc, NOW).map((e) => [e.field, e.rule]), [['_id', 'type']]);
  }
});
