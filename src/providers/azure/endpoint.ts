/**
 * Azure OpenAI's two URL styles for files and batches (`reference/wire.md` §3.1). Neither has a
 * `/deployments/{name}` segment — that exists only for inference paths.
 *
 * - classic: `{api_base}/openai/files?api-version=<dated version>`, the version on every call;
 * - v1:      `{api_base}/openai/v1/files`, chosen when `api_version` is `v1` or `preview` (only
 *            `preview` is sent as `api-version`), or when `api_base` already ends in `/openai/v1`.
 */
import type { QueryParams } from '../openai/api.js';
import { trimTrailingSlashes } from '../shared/params.js';

/** The dated version used when a deployment configures none: the newest with every batch feature. */
export const AZURE_DEFAULT_API_VERSION = '2025-04-01-preview';

export interface AzureEndpoint {
  readonly style: 'classic' | 'v1';
  /** Everything before `/files` or `/batches`. */
  readonly base: string;
  /** Query sent on every call. */
  readonly query: QueryParams;
}

export const resolveAzureEndpoint = (apiBase: string, apiVersion: string | null): AzureEndpoint => {
  const trimmed = trimTrailingSlashes(apiBase);
  const version = apiVersion?.toLowerCase() ?? null;
  const v1Query: QueryParams = version === 'preview' ? { 'api-version': 'preview' } : {};

  if (/\/openai\/v1$/i.test(trimmed)) {
    // A v1 base URL: a dated api-version would be rejected there, so only `preview` is passed on.
    return { style: 'v1', base: trimmed, query: v1Query };
  }
  // Some configs carry the `/openai` suffix already; accept it rather than doubling it.
  const resource = trimmed.replace(/\/openai$/i, '');
  if (version === 'v1' || version === 'preview') {
    return { style: 'v1', base: `${resource}/openai/v1`, query: v1Query };
  }
  return { style: 'classic', base: `${resource}/openai`, query: { 'api-version': apiVersion ?? AZURE_DEFAULT_API_VERSION } };
};
