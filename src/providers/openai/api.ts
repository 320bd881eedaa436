/**
 * How one upstream that speaks the OpenAI Files and Batches API is addressed. OpenAI and Azure
 * OpenAI share every request body and response shape (`reference/wire.md` §1–3); what differs is
 * only captured here — URLs, auth headers, and a normalisation step that brings an upstream's JSON
 * into OpenAI's exact shape before the shared mappers read it.
 */
import type { HttpClient } from '../shared/http-client.js';

export type QueryParams = Readonly<Record<string, string>>;

export interface OpenAIStyleApi {
  readonly http: HttpClient;
  /** Absolute URL of an API path such as `/files/{id}/content`, plus any query it needs. */
  url(path: string, query?: QueryParams): string;
  /**
   * Absolute URL of an inference path such as `/chat/completions` (the line's url without `/v1`),
   * for gateway-executed batches; Azure's classic style puts the deployment in the path.
   */
  inferenceUrl(path: string): string;
  /** Fixed headers of every call (auth, organization). */
  readonly headers: Readonly<Record<string, string>>;
  /** Rewrites a File object into OpenAI's shape; may throw `UpstreamError`. Identity for OpenAI. */
  normalizeFile(raw: unknown): unknown;
  /** Rewrites a Batch object into OpenAI's shape; may throw `UpstreamError`. Identity for OpenAI. */
  normalizeBatch(raw: unknown): unknown;
}

/** `base + path`, with the query appended; values are URL-encoded. */
export const joinUrl = (base: string, path: string, query: QueryParams = {}): string => {
  const search = new URLSearchParams(query).toString();
  return `${base}${path}${search === '' ? '' : `?${search}`}`;
};

/** Path segment of an upstream id; ids are opaque, so encode them. */
export const segment = (id: string): string => encodeURIComponent(id);
