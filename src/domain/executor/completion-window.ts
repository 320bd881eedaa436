/**
 * How long a gateway-executed batch may run: its `completion_window` (OpenAI accepts only `24h`;
 * the form `<n>h`, `<n>m` or `<n>s` is read so the deadline always follows what was asked).
 */
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function completionWindowMs(window: string): number {
  const match = /^(\d+)([smhd])$/.exec(window.trim());
  if (match === null) return 24 * UNIT_MS['h']!;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
