/**
 * Scalar field checks. zod does the checking; the message is ours, `<path> must be <expected>`,
 * because an operator needs the YAML path, and never the offending value (it may be a secret).
 */
import { z } from 'zod';
import type { Diagnostics } from './diagnostics.js';
import { UNRESOLVED } from './env.js';

export interface Field<T> {
  readonly schema: z.ZodType<T>;
  /** Completes "<path> must be …". */
  readonly expected: string;
}

const NUMERIC = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*$/i;

/** Values resolved from `os.environ/` are strings; a number field accepts "100" as 100. */
const numberFromText = (value: unknown): unknown =>
  typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;

const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no', 'on', 'off']);

/**
 * Booleans may arrive as text from the environment, or as YAML 1.1 words (`yes`, `on`) that
 * LiteLLM's PyYAML reads as booleans but a YAML 1.2 parser leaves as strings.
 */
const booleanFromText = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return BOOLEAN_WORDS.has(word) ? TRUE_WORDS.has(word) : value;
};

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

const number = (schema: z.ZodNumber): z.ZodType<number> => z.preprocess(numberFromText, schema);

export const nonEmptyString: Field<string> = {
  schema: z.string().refine((s) => s.trim() !== ''),
  expected: 'a non-empty string',
};
export const anyString: Field<string> = { schema: z.string(), expected: 'a string' };
export const positiveNumber: Field<number> = {
  schema: number(z.number().positive()),
  expected: 'a positive number',
};
export const nonNegativeNumber: Field<number> = {
  schema: number(z.number().nonnegative()),
  expected: 'a number ≥ 0',
};
export const positiveInteger: Field<number> = {
  schema: number(z.number().int().positive()),
  expected: 'a positive integer',
};
export const nonNegativeInteger: Field<number> = {
  schema: number(z.number().int().nonnegative()),
  expected: 'an integer ≥ 0',
};
export const port: Field<number> = {
  schema: number(z.number().int().min(0).max(65_535)),
  expected: 'an integer between 0 and 65535',
};
export const boolean: Field<boolean> = {
  schema: z.preprocess(booleanFromText, z.boolean()),
  expected: 'true or false',
};
export const httpUrl: Field<string> = {
  schema: z.string().refine(isHttpUrl),
  expected: 'an http:// or https:// URL',
};
export const postgresUrl: Field<string> = {
  schema: z.string().refine((s) => /^postgres(?:ql)?:\/\/\S+$/i.test(s)),
  expected: 'a postgres:// or postgresql:// URL',
};
/** `model_info.id`: LiteLLM turns an integer id into a string, so do we. */
export const deploymentId: Field<string> = {
  schema: z.union([z.string(), z.number().int()]).transform(String).refine((s) => s.trim() !== ''),
  expected: 'a non-empty string',
};

/** An optional field: absent or null yields undefined; a wrong type is a problem. */
export function readField<T>(value: unknown, path: string, field: Field<T>, diag: Diagnostics): T | undefined {
  if (value === undefined || value === null || value === UNRESOLVED) return undefined;
  const parsed = field.schema.safeParse(value);
  if (parsed.success) return parsed.data;
  diag.problem(`${path} must be ${field.expected}`);
  return undefined;
}

/** A required field: absent is reported like a wrong type, with the same message. */
export function requireField<T>(value: unknown, path: string, field: Field<T>, diag: Diagnostics): T | undefined {
  if (value === undefined || value === null) {
    diag.problem(`${path} must be ${field.expected}`);
    return undefined;
  }
  return readField(value, path, field, diag);
}
