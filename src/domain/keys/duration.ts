/**
 * LiteLLM's duration strings (`duration`, `budget_duration`): a count and a unit — `30s`, `5m`,
 * `1h`, `1d`, `2w`, `1mo`. Months are calendar months, as LiteLLM counts them: the same day of the
 * month N months later, clamped to that month's last day (Jan 31 + 1mo = Feb 28/29).
 */
import { GatewayError } from '../../errors/gateway-error.js';

const PATTERN = /^(\d+)(s|m|h|d|w|mo)$/;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

function addMonths(fromMs: number, months: number): number {
  const from = new Date(fromMs);
  const total = from.getUTCMonth() + months;
  const year = from.getUTCFullYear() + Math.floor(total / 12);
  const month = total % 12;
  const day = Math.min(from.getUTCDate(), daysInMonth(year, month));
  return Date.UTC(
    year,
    month,
    day,
    from.getUTCHours(),
    from.getUTCMinutes(),
    from.getUTCSeconds(),
    from.getUTCMilliseconds(),
  );
}

export const isDuration = (text: string): boolean => PATTERN.test(text.trim());

/**
 * The time `duration` after `fromMs`. Throws a 400 naming `param` for anything that is not a
 * positive duration, so a typo never silently means "no expiry" or "no budget window".
 */
export function addDuration(fromMs: number, duration: string, param: string): number {
  const match = PATTERN.exec(duration.trim());
  const count = match === null ? 0 : Number(match[1]);
  const unit = match?.[2];
  if (unit === undefined || !Number.isSafeInteger(count) || count <= 0) {
    throw new GatewayError(
      'invalid_request',
      `Invalid '${param}': '${duration}' is not a duration; use a positive count and a unit, e.g. 30s, 30m, 1h, 1d, 1w or 1mo.`,
      { param },
    );
  }
  if (unit === 'mo') return addMonths(fromMs, count);
  return fromMs + count * (UNIT_MS[unit] ?? 0);
}
