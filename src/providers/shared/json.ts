/**
 * Narrowing helpers for JSON that came from an upstream. Upstream bodies are `unknown` until a
 * mapper has looked at them field by field; these helpers keep that code free of casts.
 */

export type JsonRecord = Readonly<Record<string, unknown>>;

export const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The string at `key`, or null when it is missing or not a string. */
export const stringAt = (record: JsonRecord, key: string): string | null => {
  const value = record[key];
  return typeof value === 'string' ? value : null;
};

/** The finite number at `key`, or null. */
export const numberAt = (record: JsonRecord, key: string): number | null => {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
};

/** The integer at `key` (fractions truncated), or null. */
export const integerAt = (record: JsonRecord, key: string): number | null => {
  const value = numberAt(record, key);
  return value === null ? null : Math.trunc(value);
};

/** The object at `key`, or null. */
export const recordAt = (record: JsonRecord, key: string): JsonRecord | null => {
  const value = record[key];
  return isRecord(value) ? value : null;
};

/** Parses JSON without throwing; `undefined` means "not JSON". */
export const tryParseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
