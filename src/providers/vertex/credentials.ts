/**
 * Reads a Google service-account key (the JSON `gcloud iam service-accounts keys create` writes)
 * from a deployment's `vertex_credentials` (the JSON as a string or object, or a file path) or
 * from the file `GOOGLE_APPLICATION_CREDENTIALS` names. Read once, at start-up: a key that
 * cannot work is a `ProviderConfigError` problem, never a failed request later. Other
 * credential types (user credentials, workload identity federation, the metadata server) are
 * not supported and say so.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isRecord, stringAt } from '../shared/json.js';

export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

export interface ServiceAccount {
  readonly clientEmail: string;
  readonly privateKey: KeyObject;
  /** The key's PEM text, scrubbed from every message. */
  readonly privateKeyPem: string;
  readonly privateKeyId: string | null;
  readonly tokenUri: string;
  readonly projectId: string | null;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

const readKeyFile = (path: string): { json: unknown } | { problem: string } => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { problem: `the service-account key file '${path}' cannot be read (${code}); point it at a readable JSON key file` };
  }
  const json = parseJson(text);
  return json === undefined ? { problem: `the service-account key file '${path}' is not valid JSON; download a new JSON key for the service account` } : { json };
};

/** The key of `raw` (`vertex_credentials` or the file's text), or the problem with it. */
export const parseServiceAccount = (raw: unknown, from: string): ServiceAccount | { problem: string } => {
  let json: unknown = raw;
  if (typeof raw === 'string') {
    const trimmed = raw.trim();
    if (trimmed.startsWith('{')) {
      json = parseJson(trimmed);
      if (json === undefined) return { problem: `${from} is not valid JSON; give the service-account key JSON, or a path to its file` };
    } else {
      const read = readKeyFile(trimmed);
      if ('problem' in read) return read;
      json = read.json;
      from = `the key file '${trimmed}'`;
    }
  }
  if (!isRecord(json)) return { problem: `${from} must be a service-account key (a JSON object)` };
  const type = stringAt(json, 'type');
  if (type !== null && type !== 'service_account') {
    return { problem: `${from} holds '${type}' credentials; batchgate supports service-account keys only (type 'service_account')` };
  }
  const clientEmail = stringAt(json, 'client_email');
  const pem = stringAt(json, 'private_key');
  const missing = [clientEmail === null ? 'client_email' : null, pem === null ? 'private_key' : null].filter((m) => m !== null);
  if (clientEmail === null || pem === null) return { problem: `${from} has no ${missing.join(' or ')}; use the JSON key file Google issued for the service account` };
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    return { problem: `${from} has a private_key that is not a PEM RSA key; use the JSON key file Google issued for the service account` };
  }
  return {
    clientEmail,
    privateKey,
    privateKeyPem: pem,
    privateKeyId: stringAt(json, 'private_key_id'),
    tokenUri: stringAt(json, 'token_uri') ?? DEFAULT_TOKEN_URI,
    projectId: stringAt(json, 'project_id'),
  };
};
