// Strict JSON fields for the document schemas: the twin of rules/schemas/common.py.
// A field is check(value, ctx, loc, errs) → [ok, parsed]; a problem is pushed to
// errs as {loc, rule, params}. loc = {path, names, item}: the field path the
// server reports ("checks[0].temperature"), the member names along it (for the
// label) and whether the error is on one item of a list.

export const CLOCK_SKEW_MS = 10 * 60 * 1000;
const DATETIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const HLC = /^[0-9]{13}-[0-9]{4}$/;
const BASE64 = /^[A-Za-z0-9+/]*(={0,2})$/;
// Python's str.isspace() characters, so "blank" means what the server says.
const SPACE = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004'
  + '\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
export const codePoints = (s) => [...s].length;
export const own = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

/** s without surrounding whitespace, as Python's str.strip(). */
export function pyStrip(s) {
  const chars = [...s];
  let a = 0, b = chars.length;
  while (a < b && SPACE.includes(chars[a])) a += 1;
  while (b > a && SPACE.includes(chars[b - 1])) b -= 1;
  return chars.slice(a, b).join('');
}

export const isBlank = (v) => v == null || (typeof v === 'string' && pyStrip(v) === '');

export const root = () => ({ path: '', names: [], item: false });
export const child = (loc, key) =>
  ({ path: loc.path ? `${loc.path}.${key}` : String(key), names: [...loc.names, String(key)], item: false });
export const itemOf = (loc, i) => ({ path: `${loc.path}[${i}]`, names: loc.names, item: true });

const push = (errs, loc, rule, params = {}) => { errs.push({ loc, rule, params }); return [false]; };

// Wrap a type check with the optional validate(value, ctx) → [rule, params] | null.
function field(check, opts = {}) {
  const f = (value, ctx, loc, errs) => {
    const [ok, parsed] = check(value, ctx, loc, errs);
    if (!ok || !opts.validate) return [ok, parsed];
    const problem = opts.validate(value, ctx);
    return problem ? push(errs, loc, problem[0], problem[1]) : [true, parsed];
  };
  f.required = Boolean(opts.required);
  return f;
}

/** A string of min–max code points; min ignores surrounding blanks. */
export const Text = ({ min = 0, max, pattern, fmt, ...opts }) => field((v, ctx, loc, errs) => {
  if (typeof v !== 'string') return push(errs, loc, 'type', { kind: 'string' });
  if (codePoints(v) > max || codePoints(pyStrip(v)) < min) return push(errs, loc, 'length', { min, max });
  if (pattern && !pattern.test(v)) return push(errs, loc, 'format', { kind: fmt });
  return [true, v];
}, opts);

/** A JSON number in min–max (max may be a function of ctx). */
export const Num = ({ min, max, integer = false, unit = '', ...opts }) => field((v, ctx, loc, errs) => {
  const kind = integer ? 'integer' : 'number';
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    return push(errs, loc, 'type', { kind });
  }
  const high = typeof max === 'function' ? max(ctx) : max;
  if (!(min <= v && v <= high)) return push(errs, loc, 'range', { min, max: high, unit });
  return [true, v];
}, opts);

export const Bool = (opts = {}) => field((v, ctx, loc, errs) =>
  (typeof v === 'boolean' ? [true, v] : push(errs, loc, 'type', { kind: 'boolean' })), opts);

export const Choice = (choices, opts = {}) => field((v, ctx, loc, errs) =>
  (typeof v !== 'boolean' && choices.includes(v) ? [true, v] : push(errs, loc, 'enum', { choices })), opts);

export const Ext = (opts = {}) => field((v, ctx, loc, errs) =>
  (isObject(v) ? [true, v] : push(errs, loc, 'type', { kind: 'object' })), opts);

const leap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y, m) => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
const validDate = (y, m, d) => y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);

function utcMs(y, mo, d, h, mi, s) {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime();
}

/** {ms, date} of an ISO 8601 date-time with an offset, or null if malformed. */
export function parseDateTime(v) {
  const m = typeof v === 'string' ? DATETIME.exec(v) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3)), om = Number(m[8].slice(4, 6));
    if (om > 59 || oh > 23) return null;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om) * 60000;
  }
  const micro = Number((m[7] || '0').slice(0, 6).padEnd(6, '0'));
  return { ms: utcMs(y, mo, d, h, mi, s) + micro / 1000 - offset, date: v.slice(0, 10) };
}

/** An ISO 8601 date-time, at most 10 minutes ahead unless opts.future (a deadline). */
export const DateTime = (opts = {}) => field((v, ctx, loc, errs) => {
  const moment = parseDateTime(v);
  if (!moment) return push(errs, loc, 'format', { kind: 'datetime' });
  if (!opts.future && moment.ms > ctx.nowMs + CLOCK_SKEW_MS) return push(errs, loc, 'future');
  return [true, moment];
}, opts);

export const DateF = (opts = {}) => field((v, ctx, loc, errs) => {
  const m = typeof v === 'string' ? DATE.exec(v) : null;
  if (m && validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return [true, v];
  return push(errs, loc, 'format', { kind: 'date' });
}, opts);

/**
 * Run one field on raw[key]: null means absent; absent required fields are
 * "required". The field also gets raw, as marshmallow passes a field its object.
 */
function runField(f, raw, key, ctx, loc, errs, out) {
  const here = child(loc, key);
  if (!own(raw, key) || raw[key] === null) {
    if (f.required) push(errs, here, 'required');
    return;
  }
  const [ok, parsed] = f(raw[key], ctx, here, errs, raw);
  if (ok) out[key] = parsed;
}

/**
 * Check object raw against fields {key: field}: unknown members are errors
 * (keys starting with "_" are skipped when skipUnderscore, except own ones);
 * then cross(raw, data, ctx, loc, errs) with the valid values.
 */
export function runSchema(spec, raw, ctx, loc, errs) {
  if (!isObject(raw)) return push(errs, loc, 'type', { kind: 'object' });
  const data = {};
  for (const key of Object.keys(raw)) {
    if (own(spec.fields, key)) continue;
    if (spec.skipUnderscore && key.startsWith('_')) continue;
    push(errs, child(loc, key), 'unknown');
  }
  for (const [key, f] of Object.entries(spec.fields)) runField(f, raw, key, ctx, loc, errs, data);
  if (spec.cross) spec.cross(raw, data, ctx, loc, errs);
  return [true, data];
}

/** A nested object checked by a schema spec. */
export const Obj = (spec, opts = {}) => field((v, ctx, loc, errs) => {
  const before = errs.length;
  const [, data] = runSchema(spec, v, ctx, loc, errs);
  return errs.length === before ? [true, data] : [false];
}, opts);

/** A list of at most max items; items null are allowed; optionally unique (by member). */
export const ListOf = (inner, { max, unique = false, uniqueBy = null, ...opts }) =>
  field((v, ctx, loc, errs) => {
    if (!Array.isArray(v)) return push(errs, loc, 'type', { kind: 'list' });
    if (v.length > max) return push(errs, loc, 'count', { max });
    const before = errs.length;
    v.forEach((item, i) => { if (item !== null) inner(item, ctx, itemOf(loc, i), errs); });
    if (unique || uniqueBy) {
      const seen = new Set();
      v.forEach((item, i) => {
        const key = uniqueBy ? (isObject(item) ? item[uniqueBy] : undefined) : item;
        if (typeof key !== 'string') return;
        if (seen.has(key)) {
          push(errs, uniqueBy ? child(itemOf(loc, i), uniqueBy) : itemOf(loc, i), 'unique', { value: key });
        }
        seen.add(key);
      });
    }
    return errs.length === before ? [true, v] : [false];
  }, opts);

/** {field: [hlc, device]} (schema 2 only); keys must name a field of the document. */
export const Stamps = (names, opts = {}) => field((v, ctx, loc, errs) => {
  if (ctx.version < 2) return push(errs, loc, 'version');
  if (!isObject(v)) return push(errs, loc, 'type', { kind: 'object' });
  const before = errs.length;
  for (const [key, stamp] of Object.entries(v)) {
    const head = key.split(/[.:/[]/)[0];
    if (!names.includes(head)) push(errs, child(loc, key), 'unknown');
    else if (!(Array.isArray(stamp) && stamp.length === 2 && typeof stamp[0] === 'string'
      && HLC.test(stamp[0]) && typeof stamp[1] === 'string'
      && codePoints(stamp[1]) >= 1 && codePoints(stamp[1]) <= 64)) {
      push(errs, child(loc, key), 'format', { kind: 'stamp' });
    }
  }
  return errs.length === before ? [true, v] : [false];
}, opts);

/** Decoded length of base64 text as Python's b64decode(validate=True) sees it, or null. */
export function base64Length(text) {
  const m = BASE64.exec(text);
  if (!m) return null;
  const pads = m[1].length, data = text.length - pads, rest = data % 4;
  if (rest === 1 || (rest !== 0 && pads < 4 - rest)) return null;
  return Math.floor((data * 3) / 4);
}

export { push };
