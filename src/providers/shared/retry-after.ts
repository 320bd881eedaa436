/**
 * Reads how long an upstream asks us to wait. OpenAI sends `retry-after-ms` next to the standard
 * `Retry-After` (integer seconds or an HTTP date); the finer one wins, as in the official SDK.
 */

type HeaderValue = string | string[] | undefined;

const first = (value: HeaderValue): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Whole seconds to wait (at least 0), or undefined when the upstream said nothing usable. */
export const parseRetryAfter = (
  headers: Readonly<Record<string, HeaderValue>>,
  now: () => number = Date.now,
): number | undefined => {
  const ms = first(headers['retry-after-ms'])?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms) / 1000);

  const raw = first(headers['retry-after'])?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw));
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now()) / 1000));
};
