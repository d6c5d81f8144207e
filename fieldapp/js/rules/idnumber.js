// Resident ID numbers (GB 11643-1999): the shape, the birth date, the check
// digit. The twin of rules/idnumber.py: 18 characters, the birth date as
// YYYYMMDD at characters 7-14, and a check digit 0-9 or a capital X (ISO 7064
// MOD 11-2 over the first 17); both held to tests/vectors/schema_cases.json.

const SHAPE = /^[0-9]{17}[0-9X]$/;
const WEIGHTS = Array.from({ length: 17 }, (_, i) => 2 ** (17 - i) % 11);
const CHECK = '10X98765432';
// The latest calendar date anywhere on earth at an instant (UTC+14).
const AHEAD_MS = 14 * 3600 * 1000;

const leap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y, m) => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

/** The check character of the 17 digits first17. */
export function checkDigit(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** The birth date written in number as 'YYYY-MM-DD', or null if it is not a date. */
export function birthDate(number) {
  const y = Number(number.slice(6, 10)), m = Number(number.slice(10, 12)), d = Number(number.slice(12, 14));
  if (!(y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m))) return null;
  return `${number.slice(6, 10)}-${number.slice(10, 12)}-${number.slice(12, 14)}`;
}

/** The rule number breaks at nowMs ('format', 'birth_date' or 'checksum'), or null. */
export function problem(number, nowMs) {
  if (typeof number !== 'string' || !SHAPE.test(number)) return 'format';
  const born = birthDate(number);
  const latest = new Date(nowMs + AHEAD_MS).toISOString().slice(0, 10);
  if (!born || born < '1900-01-01' || born > latest) return 'birth_date';
  if (checkDigit(number) !== number[17]) return 'checksum';
  return null;
}

/** What a worker typed, as it is stored: no spaces, a capital X. */
export const normalise = (typed) => String(typed || '').replace(/\s/g, '').toUpperCase();
