// What every field document shares: its id (the twin of rules/ids.py: the
// type and grid or place an id names), the common fields and the document
// schema built from them. docs.js and answer.js build on it.

import { Choice, DateTime, Ext, Stamps, Text } from './fields.js';

const SEGMENT = '[A-Za-z0-9_-]{1,64}';
// A campaign's place: a community, a street, or everyone ('all', the shared partition).
const PLACE = `(?:community|street):${SEGMENT}|all`;
/** The partition of rules:* documents, which every account's view includes. */
export const SHARED = '*';
const ID_PATTERNS = {
  grid: new RegExp(`^grid:(${SEGMENT})$`),
  household: new RegExp(`^household:(${SEGMENT}):${SEGMENT}$`),
  visit: new RegExp(`^visit:(${SEGMENT}):${SEGMENT}$`),
  request: new RegExp(`^request:(${SEGMENT}):${SEGMENT}$`),
  review: new RegExp(`^review:visit:(${SEGMENT}):${SEGMENT}$`),
  notice: new RegExp(`^notice:(${SEGMENT}):${SEGMENT}$`),
  receipt: new RegExp(`^receipt:(${SEGMENT}):${SEGMENT}$`),
  sendback: new RegExp(`^sendback:(${SEGMENT}):${SEGMENT}$`),
  erasure: new RegExp(`^erasure:(${SEGMENT}):${SEGMENT}$`),
  rules: new RegExp(`^rules:${SEGMENT}$`),
  campaign: new RegExp(`^campaign:(${PLACE}):${SEGMENT}$`),
  form: new RegExp(`^form:(${PLACE}):${SEGMENT}:[1-9][0-9]{0,5}$`),
  answer: new RegExp(`^answer:(${SEGMENT}):${SEGMENT}$`),
};
const PREFIXES = {
  grid: 'grid:', household: 'household:', visit: 'visit:', request: 'request:', review: 'review:',
  notice: 'notice:', receipt: 'receipt:', sendback: 'sendback:', erasure: 'erasure:', rules: 'rules:',
  campaign: 'campaign:', form: 'form:', answer: 'answer:',
};

/** [type, grid] of a well-formed field-document id, else null (rules/ids.py); rules are in SHARED. */
export function parseId(id) {
  if (typeof id !== 'string') return null;
  for (const [kind, re] of Object.entries(ID_PATTERNS)) {
    const m = re.exec(id);
    if (m) return [kind, (m[1] ?? SHARED) === 'all' ? SHARED : (m[1] ?? SHARED)];
  }
  return null;
}

/** The type an id's prefix claims, well-formed or not; null for other ids. */
export const prefixKind = (id) =>
  Object.keys(PREFIXES).find((kind) => id.startsWith(PREFIXES[kind])) ?? null;

export const matches = (attr) => (v, ctx) => (v !== ctx[attr] ? ['matches_id', { expected: ctx[attr] }] : null);

export const sameGridId = (prefix, fmt) => (v, ctx) => {
  const parsed = parseId(v);
  if (!parsed || parsed[0] !== prefix) return ['format', { kind: fmt }];
  return parsed[1] !== ctx.grid ? ['same_grid', { grid: ctx.grid }] : null;
};

export const COMMON = {
  type: Text({ required: true, max: 64, validate: matches('docType') }),
  schema: Choice([2, 1], { required: true }),
  grid: Text({ required: true, max: 64, validate: matches('grid') }),
  updated_at: DateTime({ required: true }),
  updated_by: Text({ required: true, min: 1, max: 64 }),
  device: Text({ min: 1, max: 64 }),
  ext: Ext(),
};
const UNSTAMPED = ['type', 'schema', 'grid', 'stamps', 'merge'];

// A document schema: the common fields, its own, and stamps naming any of them.
export function documentSchema(own, { stamped = false, cross = null } = {}) {
  const fields = { ...COMMON, ...own };
  if (stamped) {
    const names = [...Object.keys(fields), 'stamps'].filter((n) => !UNSTAMPED.includes(n));
    fields.stamps = Stamps(names);
  }
  return { fields, cross, skipUnderscore: true };
}
