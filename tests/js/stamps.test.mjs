// The field app's clock and stamping (fieldapp/js/rules/hlc.js, stamps.js) against the
// cases the server's tests also run: tests/vectors/stamp_cases.json.
// Run with `node --test tests/js/` (tests/test_stamps.py does, too).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Clock, StampError, ZERO, compare, newer } from '../../fieldapp/js/rules/hlc.js';
import { jsonEqual, stampEdit, stampOf } from '../../fieldapp/js/rules/stamps.js';

const VECTORS = JSON.parse(readFileSync(new URL('../vectors/stamp_cases.json', import.meta.url), 'utf8'));

// assert.throws matcher: a StampError whose message contains `text`.
const stampError = (text = '') => (err) => err instanceof StampError && err.message.includes(text);
const withoutStamps = (doc) => Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'stamps'));
const label = (value) => (value === undefined ? 'undefined' : JSON.stringify(value));

for (const c of VECTORS.edits) {
  test(`edit: ${c.name}`, () => {
    assert.equal(c.device, c.clock.device);
    const clock = Clock.fromJSON(c.clock, () => c.now);
    const old = structuredClone(c.old), neu = structuredClone(c.new);
    if ('error' in c) {
      assert.throws(() => stampEdit(old, neu, clock), stampError(c.error));
    } else {
      const result = stampEdit(old, neu, clock);
      assert.deepEqual(result.stamps ?? null, c.expected_stamps);
      assert.deepEqual(withoutStamps(result), withoutStamps(c.new));
      assert.notEqual(result, neu);
      if (neu.members) assert.notEqual(result.members, neu.members);
    }
    assert.deepEqual([old, neu], [c.old, c.new]); // inputs untouched
    assert.deepEqual(clock.toJSON(), c.expected_clock);
  });
}

for (const c of VECTORS.clock) {
  test(`clock: ${c.name}`, () => {
    let now;
    const clock = Clock.fromJSON(c.clock, () => now);
    for (const step of c.steps) {
      now = step.now;
      const run = step.op === 'tick' ? () => clock.tick() : () => clock.receive(step.hlc);
      if ('error' in step) {
        const before = clock.toJSON();
        assert.throws(run, stampError(step.error), `${step.op} ${label(step.hlc)} at ${label(now)}`);
        assert.deepEqual(clock.toJSON(), before);
      } else {
        assert.equal(run(), step.expect);
        assert.equal(clock.hlc, step.expect);
      }
    }
    assert.deepEqual(clock.toJSON(), c.expected_clock);
  });
}

test('bad hlcs are refused everywhere', () => {
  for (const bad of VECTORS.bad_hlcs) {
    const clock = new Clock('tab-0317', () => 1795482900000);
    const attempts = [
      () => clock.receive(bad),
      () => new Clock('tab-0317', undefined, bad),
      () => compare([bad, 'tab-0317'], ['1795482900000-0000', 'tab-0317']),
      () => Clock.fromJSON({ device: 'tab-0317', hlc: bad }),
    ];
    for (const attempt of attempts) assert.throws(attempt, stampError('malformed hlc'), label(bad));
    assert.equal(clock.hlc, ZERO);
  }
});

for (const c of VECTORS.states.good) {
  test(`state: ${c.name}`, () => {
    const clock = Clock.fromJSON(c.state);
    assert.deepEqual(clock.toJSON(), c.expected);
    // As the tablet keeps it: localStorage.setItem(key, JSON.stringify(clock)).
    assert.deepEqual(Clock.fromJSON(JSON.stringify(clock)).toJSON(), c.expected);
  });
}

for (const c of VECTORS.states.bad) {
  test(`bad state: ${c.name}`, () => {
    assert.throws(() => Clock.fromJSON(c.state), stampError());
  });
}

for (const c of VECTORS.compare) {
  test(`compare: ${c.name}`, () => {
    assert.equal(compare(c.a, c.b), c.expected);
    assert.equal(compare(c.b, c.a), -c.expected || 0);
    assert.equal(newer(c.a, c.b), c.expected === 1);
  });
}

test('bad stamps are refused', () => {
  const good = ['1795482900000-0000', 'tab-0317'];
  for (const bad of VECTORS.bad_stamps) {
    for (const [a, b] of [[bad, good], [good, bad], [bad, null]]) {
      assert.throws(() => compare(a, b), stampError(), label(bad));
    }
  }
});

for (const c of VECTORS.stamp_of) {
  test(`stampOf: ${c.name}`, () => {
    if ('error' in c) assert.throws(() => stampOf(c.doc, c.key), stampError(c.error));
    else assert.deepEqual(stampOf(c.doc, c.key), c.expected);
  });
}

test('jsonEqual: JSON semantics, not JavaScript ones', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1.0, { c: null }], a: 1 }));
  assert.ok(!jsonEqual(true, 1));
  assert.ok(!jsonEqual('1', 1));
  assert.ok(!jsonEqual([], {}));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
});

test('the default wall clock is Date.now', () => {
  const stamp = new Clock('tab-0317').tick();
  assert.ok(Math.abs(Number(stamp.slice(0, 13)) - Date.now()) < 5000);
});
