// Hybrid logical clock: stamps "{ms:013d}-{counter:04d}" that sort as strings.
// Twin of rules/hlc.py; both are checked against tests/vectors/stamp_cases.json.
// A stamp attached to a field is [hlc, device]; stamps order by (hlc, device).

const HLC_RE = /^[0-9]{13}-[0-9]{4}$/;
export const ZERO = '0000000000000-0000';
export const MAX_MS = 10 ** 13 - 1;
export const MAX_COUNTER = 9999;
export const MAX_DEVICE = 64;

/** A malformed hlc, stamp, device id or clock state. */
export class StampError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StampError';
  }
}

const show = (value) => {
  if (value === undefined) return 'undefined';
  try { return JSON.stringify(value); } catch { return String(value); }
};

/** True when value is a well-formed hlc string. */
export function isHlc(value) {
  return typeof value === 'string' && HLC_RE.test(value);
}

/** [ms, counter] of a well-formed hlc string, else StampError. */
export function parseHlc(value) {
  if (!isHlc(value)) {
    throw new StampError(`malformed hlc ${show(value)}: expected 13 digits, '-', 4 digits`);
  }
  return [Number(value.slice(0, 13)), Number(value.slice(14))];
}

/** The hlc string of (ms, counter), carrying a counter past 9999 into ms. */
export function formatHlc(ms, counter) {
  if (counter > MAX_COUNTER) { ms += 1; counter = 0; }
  if (!(ms >= 0 && ms <= MAX_MS && counter >= 0 && counter <= MAX_COUNTER)) {
    throw new StampError(`clock exhausted: ms ${ms} counter ${counter} do not fit an hlc`);
  }
  return `${String(ms).padStart(13, '0')}-${String(counter).padStart(4, '0')}`;
}

/** device if it is a 1–64 character string (code points), else StampError. */
export function checkDevice(device) {
  const length = typeof device === 'string' ? [...device].length : 0;
  if (length < 1 || length > MAX_DEVICE) {
    throw new StampError(`malformed device id ${show(device)}: expected 1-64 characters`);
  }
  return device;
}

/** [hlc, device] as a new array if stamp is well formed, else StampError. */
export function checkStamp(stamp) {
  if (!Array.isArray(stamp) || stamp.length !== 2) {
    throw new StampError(`malformed stamp ${show(stamp)}: expected [hlc, device]`);
  }
  parseHlc(stamp[0]);
  checkDevice(stamp[1]);
  return [stamp[0], stamp[1]];
}

// Strings ordered by code point, as Python orders them (not by UTF-16 unit).
function compareStrings(a, b) {
  if (a === b) return 0;
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
}

/** -1, 0 or 1 as stamp a is older than, equal to or newer than b; null is oldest. */
export function compare(a, b) {
  const x = a == null ? null : checkStamp(a);
  const y = b == null ? null : checkStamp(b);
  if (x === null || y === null) return (x !== null) - (y !== null);
  const [ha, da] = x, [hb, db] = y;
  return ha !== hb ? (ha < hb ? -1 : 1) : compareStrings(da, db);
}

/** True when stamp a is strictly newer than stamp b (null is oldest). */
export function newer(a, b) {
  return compare(a, b) > 0;
}

function wall(nowMs) {
  const now = nowMs();
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new StampError(`clock source returned ${show(now)}, not milliseconds`);
  }
  const ms = Math.floor(now);
  if (ms > MAX_MS) {
    throw new StampError(`clock source returned ${ms}, beyond 13 digits of milliseconds`);
  }
  return ms;
}

/** A hybrid logical clock of one device; hlc is the last stamp it issued. */
export class Clock {
  constructor(device, nowMs = Date.now, hlc = ZERO) {
    this.device = checkDevice(device);
    this.nowMs = nowMs || Date.now;
    [this.ms, this.counter] = parseHlc(hlc);
  }

  /** The last hlc issued or received (ZERO for a fresh clock). */
  get hlc() {
    return formatHlc(this.ms, this.counter);
  }

  _set(ms, counter) {
    const hlc = formatHlc(ms, counter); // throws before any state changes
    [this.ms, this.counter] = parseHlc(hlc);
    return hlc;
  }

  /** A new hlc for a local edit, later than every hlc this clock has seen. */
  tick() {
    const now = wall(this.nowMs);
    if (now > this.ms) return this._set(now, 0);
    return this._set(this.ms, this.counter + 1);
  }

  /** Merge a remote hlc string; returns a new hlc later than it and than local. */
  receive(hlc) {
    const [rms, rcounter] = parseHlc(hlc);
    const now = wall(this.nowMs);
    const ms = Math.max(this.ms, rms, now);
    let counter;
    if (ms === this.ms && ms === rms) counter = Math.max(this.counter, rcounter) + 1;
    else if (ms === this.ms) counter = this.counter + 1;
    else if (ms === rms) counter = rcounter + 1;
    else counter = 0;
    return this._set(ms, counter);
  }

  /** The persistable state {device, hlc}; JSON.stringify(clock) uses it. */
  toJSON() {
    return { device: this.device, hlc: this.hlc };
  }

  /** A clock restored from toJSON() output (an object or its JSON text). */
  static fromJSON(state, nowMs = Date.now) {
    if (typeof state === 'string') {
      try { state = JSON.parse(state); } catch (err) {
        throw new StampError(`malformed clock state: ${err.message}`);
      }
    }
    const keys = state && typeof state === 'object' && !Array.isArray(state)
      ? Object.keys(state).sort().join(',') : '';
    if (keys !== 'device,hlc') {
      throw new StampError(`malformed clock state ${show(state)}: expected {device, hlc}`);
    }
    return new Clock(state.device, nowMs, state.hlc);
  }
}
