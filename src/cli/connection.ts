/**
 * Where the gateway is and which key to send: a flag, else `BATCHGATE_*`, else `OPENAI_*` (so a
 * shell already set up for the openai SDK against batchgate needs nothing more).
 */
import { usageError } from './exit-codes.js';

export interface ConnectionOptions {
  readonly baseUrl?: string | undefined;
  readonly apiKey?: string | undefined;
}

export interface Connection {
  /** The gateway's root, without `/v1` and without a trailing slash: `/v1/files` and `/key/list` both hang off it. */
  readonly root: string;
  /** Sent as `Authorization: Bearer …`; null sends none (a gateway without a master key is open). */
  readonly apiKey: string | null;
}

/** `serve`'s default address, so the quick start needs no flag. */
export const DEFAULT_BASE_URL = 'http://localhost:4000';

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/**
 * Accepts `http://host:4000`, `http://host:4000/` and `http://host:4000/v1` alike: the openai SDK's
 * `OPENAI_BASE_URL` carries `/v1`, LiteLLM's proxy URL usually does not, and both must work.
 */
export function gatewayRoot(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw usageError(`base URL '${baseUrl}' is not a URL (expected e.g. http://localhost:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`base URL '${baseUrl}' must be http:// or https://`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${url.origin}${path}`;
}

export function resolveConnection(options: ConnectionOptions, env: Readonly<Record<string, string | undefined>>): Connection {
  const baseUrl = nonEmpty(options.baseUrl) ?? nonEmpty(env['BATCHGATE_BASE_URL']) ?? nonEmpty(env['OPENAI_BASE_URL']) ?? DEFAULT_BASE_URL;
  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env['BATCHGATE_API_KEY']) ?? nonEmpty(env['OPENAI_API_KEY']) ?? null;
  return { root: gatewayRoot(baseUrl), apiKey };
}
