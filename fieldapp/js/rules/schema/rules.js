// The conditions of an early-warning rule set: the twin of rules/schemas/rules.py.
// The operators and operands are the rule language's own (fieldapp/js/rules/warnings.js).

import { ANSWER, OPERANDS, OPERATORS, QUESTION, REPEAT_OPERATORS } from '../warnings.js';
import { parseId } from './base.js';
import { child, codePoints, isObject, itemOf, own, push, pyStrip } from './fields.js';

const GROUPS = ['all', 'any'];
const MAX_TESTS = 20;
const MAX_QUESTION = 200;
const TEST_KEYS = [...Object.keys(OPERANDS), 'op', 'value'];

function checkAnswer(cond, loc, errs) {
  if (parseId(cond[ANSWER])?.[0] !== 'campaign') {
    push(errs, child(loc, ANSWER), 'format', { kind: 'campaign_id' });
  }
  const question = cond[QUESTION], here = child(loc, QUESTION);
  if (question == null) push(errs, here, 'required');
  else if (typeof question !== 'string') push(errs, here, 'type', { kind: 'string' });
  else if (!pyStrip(question) || codePoints(question) > MAX_QUESTION) {
    push(errs, here, 'length', { min: 1, max: MAX_QUESTION });
  } else if (question.includes('/') && OPERATORS.includes(cond.op) && !REPEAT_OPERATORS.includes(cond.op)) {
    push(errs, child(loc, 'op'), 'enum', { choices: REPEAT_OPERATORS });
  }
}

function checkTest(cond, loc, errs) {
  const operands = [...Object.keys(OPERANDS), ANSWER].filter((name) => own(cond, name));
  if (operands.length !== 1) return false;
  const [name] = operands;
  if (name === ANSWER) checkAnswer(cond, loc, errs);
  else if (typeof cond[name] === 'boolean' || !OPERANDS[name].includes(cond[name])) {
    push(errs, child(loc, name), 'enum', { choices: OPERANDS[name] });
  }
  if (cond.op == null) push(errs, child(loc, 'op'), 'required');
  else if (typeof cond.op === 'boolean' || !OPERATORS.includes(cond.op)) {
    push(errs, child(loc, 'op'), 'enum', { choices: OPERATORS });
  }
  if (!own(cond, 'value')) push(errs, child(loc, 'value'), 'required');
  return true;
}

/** Push the problems of one condition ({all}, {any} or one test) to errs. */
export function checkCondition(cond, loc, errs) {
  if (!isObject(cond)) return push(errs, loc, 'type', { kind: 'object' });
  const group = GROUPS.find((key) => own(cond, key));
  let known = TEST_KEYS;
  if (group) {
    known = [group];
    const items = cond[group], here = child(loc, group);
    if (!Array.isArray(items)) push(errs, here, 'type', { kind: 'list' });
    else if (!items.length) push(errs, here, 'required');
    else if (items.length > MAX_TESTS) push(errs, here, 'count', { max: MAX_TESTS });
    else items.forEach((item, i) => checkCondition(item, itemOf(here, i), errs));
  } else if (!checkTest(cond, loc, errs)) {
    return push(errs, loc, 'condition');
  } else if (own(cond, ANSWER)) {
    known = [...TEST_KEYS, ANSWER, QUESTION];
  }
  for (const key of Object.keys(cond)) {
    if (!known.includes(key)) push(errs, child(loc, key), 'unknown');
  }
  return [true];
}

/** A rule's `when`: a field for runSchema. */
export const condition = (v, ctx, loc, errs) => {
  const before = errs.length;
  checkCondition(v, loc, errs);
  return errs.length === before ? [true, v] : [false];
};
condition.required = true;
