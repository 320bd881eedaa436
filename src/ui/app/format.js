// @ts-check
// How numbers and times read in the console: local time, dollars with enough digits for batch
// prices (fractions of a cent), sizes in binary units.

/** @param {number | null | undefined} seconds Unix seconds */
export function time(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** @param {number | null | undefined} seconds */
export function isoTime(seconds) {
  return seconds === null || seconds === undefined ? '' : new Date(seconds * 1000).toISOString();
}

/** @param {number | null | undefined} usd */
export function money(usd) {
  if (usd === null || usd === undefined) return '—';
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(usd < 100 ? 4 : 2)}`;
}

/** @param {number} n */
export const count = (n) => n.toLocaleString();

/** @param {number} bytes */
export function bytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** @param {string} status */
export const statusText = (status) => status.replaceAll('_', ' ');

export const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
