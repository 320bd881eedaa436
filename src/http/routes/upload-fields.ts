/**
 * Reads the upload's text fields in every spelling clients use: OpenAI's bracketed
 * `expires_after[anchor]`, Azure's dotted `expires_after.anchor`, and LiteLLM's
 * `target_model_names` as a comma list, repeated `target_model_names[]` or indexed `[0]` fields.
 */
import { z } from 'zod';
import type { ExpiresAfter, FileUploadPurpose } from '../../contracts/openai.js';
import { expiresAfterSchema, filePurposeSchema } from '../../contracts/requests.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { parseRequest } from '../validation.js';

type Fields = ReadonlyMap<string, readonly string[]>;

const purposeFieldSchema = z.object({ purpose: filePurposeSchema });

const one = (fields: Fields, ...names: string[]): string | undefined => {
  for (const name of names) {
    const value = fields.get(name)?.[0];
    if (value !== undefined) return value;
  }
  return undefined;
};

export const purposeOf = (fields: Fields): FileUploadPurpose => {
  const purpose = one(fields, 'purpose');
  if (purpose === undefined) {
    throw new GatewayError('missing_required_parameter', "Missing required parameter: 'purpose'.", { param: 'purpose' });
  }
  // Parsed as a field of an object so a bad value is reported with `param: 'purpose'`.
  return parseRequest(purposeFieldSchema, { purpose }).purpose;
};

export const expiresAfterOf = (fields: Fields): ExpiresAfter | null => {
  const anchor = one(fields, 'expires_after[anchor]', 'expires_after.anchor');
  const seconds = one(fields, 'expires_after[seconds]', 'expires_after.seconds');
  if (anchor === undefined && seconds === undefined) return null;
  if (anchor === undefined || seconds === undefined) {
    throw new GatewayError('invalid_request', 'expires_after needs both anchor and seconds.', { param: 'expires_after' });
  }
  const parsed = /^\d+$/.test(seconds.trim()) ? Number(seconds) : Number.NaN;
  try {
    return parseRequest(expiresAfterSchema, { anchor, seconds: parsed });
  } catch (err) {
    if (err instanceof GatewayError) throw new GatewayError('invalid_request', err.message.replace("Invalid '", "Invalid 'expires_after."), { param: `expires_after.${err.param ?? ''}` });
    throw err;
  }
};

export const targetModelNamesOf = (fields: Fields, fromQuery: string | null): string[] => {
  const raw: string[] = [];
  for (const [name, values] of fields) {
    if (name === 'target_model_names' || /^target_model_names\[\d*\]$/.test(name)) raw.push(...values);
  }
  if (fromQuery !== null) raw.push(fromQuery);
  const names = raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return [...new Set(names)];
};

export const fieldOf = (fields: Fields, name: string): string | null => {
  const value = one(fields, name)?.trim();
  return value === undefined || value === '' ? null : value;
};
