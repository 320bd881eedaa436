/**
 * Request checks of the fake upstreams, as OpenAI and Azure make them (`reference/wire.md` §1.2,
 * §2.2, §3.3). Each returns null when the input is fine, or the error to answer with 400.
 */
import { BATCH_ENDPOINTS, FILE_UPLOAD_PURPOSES } from '../../src/contracts/openai.js';
import type { ErrorInit } from './fake-wire.js';
import type { AzureStyle, FakeFlavor } from './fake-types.js';

export interface Invalid extends ErrorInit {
  readonly param: string | null;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Invalid };

const fail = <T>(message: string, param: string | null, code: string | null = null): Checked<T> => ({
  ok: false,
  error: { message, param, code },
});

/** Azure also takes purposes OpenAI does not, and classic paths without `/v1` (wire.md §3.3). */
const AZURE_EXTRA_PURPOSES = ['fine-tune-results', 'assistants_output', 'batch_output', 'evals_output'];
const AZURE_EXTRA_ENDPOINTS = ['/chat/completions', '/embeddings', '/completions', '/responses'];

export const checkPurpose = (flavor: FakeFlavor, purpose: string | undefined): Checked<string> => {
  if (purpose === undefined || purpose === '') return fail("Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
  const allowed: readonly string[] = flavor === 'azure' ? [...FILE_UPLOAD_PURPOSES, ...AZURE_EXTRA_PURPOSES] : FILE_UPLOAD_PURPOSES;
  if (!allowed.includes(purpose)) return fail(`'${purpose}' is not one of ${allowed.map((p) => `'${p}'`).join(', ')} - 'purpose'`, 'purpose');
  return { ok: true, value: purpose };
};

/** Azure classic: 14–30 days (its how-to and the classic spec); OpenAI and Azure v1: 1 h – 30 days. */
const expiresRange = (flavor: FakeFlavor, style: AzureStyle): readonly [number, number] =>
  flavor === 'azure' && style === 'classic' ? [1_209_600, 2_592_000] : [3600, 2_592_000];

/** `expires_after` / `output_expires_after`: anchor `created_at` and seconds in range, or absent. */
export const checkExpiresAfter = (
  flavor: FakeFlavor,
  style: AzureStyle,
  param: string,
  anchor: unknown,
  seconds: unknown,
): Checked<number | null> => {
  if (anchor === undefined && seconds === undefined) return { ok: true, value: null };
  if (anchor !== 'created_at') return fail(`Invalid value for '${param}.anchor': expected 'created_at'.`, param);
  const value = typeof seconds === 'string' && /^\d+$/.test(seconds) ? Number(seconds) : seconds;
  const [min, max] = expiresRange(flavor, style);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return fail(`Invalid value for '${param}.seconds': must be an integer between ${min} and ${max}.`, param);
  }
  return { ok: true, value };
};

export const checkBatchEndpoint = (flavor: FakeFlavor, endpoint: unknown): Checked<string> => {
  const allowed: readonly string[] = flavor === 'azure' ? [...BATCH_ENDPOINTS, ...AZURE_EXTRA_ENDPOINTS] : BATCH_ENDPOINTS;
  if (typeof endpoint !== 'string' || !allowed.includes(endpoint)) {
    return fail(`Invalid value for 'endpoint': must be one of ${allowed.join(', ')}.`, 'endpoint');
  }
  return { ok: true, value: endpoint };
};

export const checkCompletionWindow = (window: unknown): Checked<string> =>
  window === '24h' ? { ok: true, value: window } : fail("Invalid value for 'completion_window': only '24h' is supported.", 'completion_window');

/** Metadata: ≤ 16 pairs, keys ≤ 64 chars, string values ≤ 512 chars; null or absent is fine. */
export const checkMetadata = (metadata: unknown): Checked<Record<string, string> | null> => {
  if (metadata === undefined || metadata === null) return { ok: true, value: null };
  if (typeof metadata !== 'object' || Array.isArray(metadata)) return fail("Invalid type for 'metadata': expected an object.", 'metadata');
  const entries = Object.entries(metadata);
  if (entries.length > 16) return fail("Invalid 'metadata': at most 16 pairs.", 'metadata');
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length > 64) return fail("Invalid 'metadata': keys are at most 64 characters.", 'metadata');
    if (typeof value !== 'string' || value.length > 512) {
      return fail("Invalid 'metadata': values are strings of at most 512 characters.", 'metadata');
    }
    out[key] = value;
  }
  return { ok: true, value: out };
};
