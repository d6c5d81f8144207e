// Per-field stamps of mutable documents: which keys an edit changed, and when.
// Twin of rules/stamps.py; both are checked against tests/vectors/stamp_cases.json.
// Keys: top-level field names, "members.{id}" (member added or removed),
// "members.{id}.{field}" and "members.{id}.tags.{tag}" (tag added or removed).

import { StampError, checkStamp, compare, newer } from './hlc.js';

export { StampError, compare, newer };

// Top-level fields no edit stamps: identity and bookkeeping. `members` is
// stamped per member instead; `_`-prefixed fields are CouchDB's.
export const UNSTAMPED = new Set(['stamps', 'type', 'schema', 'grid', 'updated_at', 'merge',
  'updated_by', 'device', 'ext', 'members']);
const MEMBER_UNSTAMPED = new Set(['id', 'tags']);
// Fields whose merge must tell a later change from a concurrent one: an edit
// of them also records, as "{field}.base", the stamp of the value it replaced.
export const SAW_FIELDS = ['colour'];

const own = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
const get = (obj, key) => (own(obj, key) ? obj[key] : undefined);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);
// Code-point order, as Python's sorted() (the order only makes output tidy).
const byCodePoint = (a, b) => {
  const x = [...a].map((c) => c.codePointAt(0)), y = [...b].map((c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};
const sortedKeys = (keys) => [...keys].sort(byCodePoint);

/** Deep JSON equality: key order ignored, 1 == 1.0, true != 1; undefined == null. */
export function jsonEqual(a, b) {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length
      && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => own(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

// Names whose values differ between objects oldObj and newObj (absent == null).
const changed = (oldObj, newObj, names) =>
  names.filter((name) => !jsonEqual(get(oldObj, name), get(newObj, name)));

function members(doc) {
  const list = get(doc, 'members');
  if (list == null) return new Map();
  if (!Array.isArray(list)) throw new StampError(`members must be a list, not ${typeName(list)}`);
  const byId = new Map();
  for (const member of list) {
    if (!isObject(member) || typeof get(member, 'id') !== 'string') {
      throw new StampError(`malformed member ${JSON.stringify(member)}: expected an object with a string id`);
    }
    if (byId.has(member.id)) throw new StampError(`duplicate member id ${JSON.stringify(member.id)}`);
    byId.set(member.id, member);
  }
  return byId;
}

function tags(member) {
  const list = get(member, 'tags');
  if (list == null) return new Set();
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) {
    throw new StampError(`tags of member ${JSON.stringify(member.id)} must be a list of strings`);
  }
  return new Set(list);
}

// Changed keys of one member; oldM or newM is undefined when it is absent.
function memberKeys(id, oldM, newM) {
  const keys = (oldM === undefined) === (newM === undefined) ? [] : [`members.${id}`];
  oldM = oldM ?? { id };
  newM = newM ?? { id };
  const names = sortedKeys(new Set([...Object.keys(oldM), ...Object.keys(newM)]))
    .filter((name) => !MEMBER_UNSTAMPED.has(name));
  for (const name of changed(oldM, newM, names)) keys.push(`members.${id}.${name}`);
  const before = tags(oldM), after = tags(newM);
  const flipped = [...before].filter((t) => !after.has(t))
    .concat([...after].filter((t) => !before.has(t)));
  for (const tag of sortedKeys(flipped)) keys.push(`members.${id}.tags.${tag}`);
  return keys;
}

/** Sorted stamp keys whose values differ between oldDoc (or null) and newDoc. */
export function changedKeys(oldDoc, newDoc) {
  const oldObj = oldDoc ?? {};
  const names = sortedKeys(new Set([...Object.keys(oldObj), ...Object.keys(newDoc)]))
    .filter((k) => !k.startsWith('_') && !UNSTAMPED.has(k));
  const keys = changed(oldObj, newDoc, names);
  const before = members(oldObj), after = members(newDoc);
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    keys.push(...memberKeys(id, before.get(id), after.get(id)));
  }
  return sortedKeys(keys);
}

function stampsOf(doc) {
  const stamps = get(doc ?? {}, 'stamps');
  if (stamps != null && !isObject(stamps)) {
    throw new StampError(`stamps must be an object, not ${typeName(stamps)}`);
  }
  return stamps;
}

/** The [hlc, device] stamp of key in doc, or null if it has none. */
export function stampOf(doc, key) {
  const stamp = get(stampsOf(doc) ?? {}, key);
  return stamp == null ? null : checkStamp(stamp);
}

/** A copy of newDoc whose stamps cover every key changed since oldDoc. */
export function stampEdit(oldDoc, newDoc, clock) {
  const result = structuredClone(newDoc);
  const base = stampsOf(oldDoc);
  const stamps = structuredClone(base ?? {});
  const keys = changedKeys(oldDoc, newDoc);
  if (keys.length > 0) {
    // One clock step for the whole edit, later than every stamp the editor saw.
    const hlcs = Object.values(stamps).map((stamp) => checkStamp(stamp)[0]).sort();
    const hlc = hlcs.length ? clock.receive(hlcs[hlcs.length - 1]) : clock.tick();
    for (const key of keys) stamps[key] = [hlc, clock.device];
    for (const field of SAW_FIELDS) {
      if (!keys.includes(field)) continue;
      const replaced = base?.[field];
      if (replaced == null) delete stamps[`${field}.base`];
      else stamps[`${field}.base`] = [...replaced];
    }
  }
  if (keys.length > 0 || base != null || own(newDoc, 'stamps')) {
    result.stamps = Object.fromEntries(sortedKeys(Object.keys(stamps)).map((k) => [k, stamps[k]]));
  }
  return result;
}
