// The field app's document validator: the same rules, field paths, rule names
// and messages as the server (rules/schemas/), checked against the shared
// vectors in tests/vectors/schema_cases.json by tests/js/validate.test.mjs.
//
//   validate(doc, now?) → [] when valid, else [{field, rule, zh, en}, ...]

import { SCHEMAS, parseId, prefixKind } from './schema/docs.js';
import { isObject, parseDateTime, root, runSchema } from './schema/fields.js';
import { render } from './schema/messages.js';

export { parseId };

const error = (field, rule, params = {}) => {
  const [zh, en] = render([field], rule, params);
  return { field, rule, zh, en };
};

function idProblem(doc) {
  if (!Object.prototype.hasOwnProperty.call(doc, '_id')) return error('_id', 'required');
  const id = doc._id;
  if (typeof id !== 'string') return error('_id', 'type', { kind: 'string' });
  if (!parseId(id)) return prefixKind(id) ? error('_id', 'format', { kind: 'doc_id' }) : error('_id', 'kind');
  return null;
}

// The clock: {nowMs, year}. A date-time string keeps its own year (as the
// server's aware datetime does); a Date or nothing uses the tablet's local year.
function clockOf(now) {
  if (typeof now === 'string') {
    const parsed = parseDateTime(now);
    if (!parsed) throw new TypeError(`now: not an ISO 8601 date-time: ${now}`);
    return { nowMs: parsed.ms, year: Number(now.slice(0, 4)) };
  }
  const date = now instanceof Date ? now : new Date();
  return { nowMs: date.getTime(), year: date.getFullYear() };
}

/** Every problem of doc as [{field, rule, zh, en}]; [] when it is valid. */
export function validate(doc, now) {
  if (!isObject(doc)) return [error('_id', 'type', { kind: 'document' })];
  const problem = idProblem(doc);
  if (problem) return [problem];
  if (doc._deleted === true) return [];
  const [docType, grid] = parseId(doc._id);
  const version = doc.schema === 1 ? 1 : 2;
  const ctx = { ...clockOf(now), docId: doc._id, docType, grid, version };
  const errs = [];
  runSchema(SCHEMAS[docType], doc, ctx, root(), errs);
  return errs.map(({ loc, rule, params }) => {
    const [zh, en] = render(loc.names, rule, params, loc.item);
    return { field: loc.path || '_id', rule, zh, en };
  });
}

/** "field: zh / en; ..." as the server's refusal reason reads. */
export const reasonOf = (errors) => errors.map((e) => `${e.field}: ${e.zh} / ${e.en}`).join('; ');
