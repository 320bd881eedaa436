/**
 * The GCS JSON API calls the adapter needs (`reference/wire.md` §4.6): object metadata, download
 * (`alt=media`, streamed), delete, list under a prefix, and the simple upload of a small body.
 * Object names are always percent-encoded whole (`/` as `%2F`) in paths, as the API requires.
 */
import type { CallOptions } from '../../domain/ports/provider-adapter.js';
import type { StreamResponse } from '../shared/http-client.js';
import { isRecord, stringAt, type JsonRecord } from '../shared/json.js';
import type { GoogleApi } from './google-http.js';
import type { Replacement } from './sanitise.js';

export interface GcsObject {
  readonly bucket: string;
  readonly name: string;
  readonly size: number | null;
  /** Unix seconds. */
  readonly createdAt: number | null;
  readonly contentType: string | null;
}

export const gsUri = (bucket: string, name: string): string => `gs://${bucket}/${name}`;

/** `gs://bucket/name` → its parts, or null. */
export const parseGsUri = (uri: string): { bucket: string; name: string } | null => {
  const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match === null ? null : { bucket: match[1] ?? '', name: match[2] ?? '' };
};

const seconds = (text: string | null): number | null => {
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
};

export const toGcsObject = (api: GoogleApi, raw: unknown): GcsObject => {
  if (!isRecord(raw)) throw api.http.malformed('a GCS object answer that is not an object');
  const name = stringAt(raw, 'name');
  if (name === null) throw api.http.malformed('a GCS object without a name');
  const size = stringAt(raw, 'size');
  return {
    bucket: stringAt(raw, 'bucket') ?? api.config.bucket,
    name,
    size: size !== null && /^\d+$/.test(size) ? Number(size) : null,
    createdAt: seconds(stringAt(raw, 'timeCreated')),
    contentType: stringAt(raw, 'contentType'),
  };
};

const bucketPath = (api: GoogleApi): string => `/b/${encodeURIComponent(api.config.bucket)}/o`;
export const objectUrl = (api: GoogleApi, name: string, query = ''): string =>
  `${api.config.gcsBase}/storage/v1${bucketPath(api)}/${encodeURIComponent(name)}${query}`;
export const uploadUrl = (api: GoogleApi, query: Record<string, string>): string =>
  `${api.config.gcsBase}/upload/storage/v1${bucketPath(api)}?${new URLSearchParams(query).toString()}`;

/** How a message names this object: never by its URI. */
const knownAs = (api: GoogleApi, name: string, as: string): Replacement[] => [
  [gsUri(api.config.bucket, name), as],
  [`${api.config.bucket}/${name}`, as],
  [name, as],
];

export const getObject = async (api: GoogleApi, name: string, as: string, opts: CallOptions): Promise<GcsObject> => {
  const response = await api.call({ method: 'GET', url: objectUrl(api, name), known: knownAs(api, name, as) }, opts);
  return toGcsObject(api, response.body);
};

export const downloadObject = (api: GoogleApi, name: string, as: string, opts: CallOptions): Promise<StreamResponse> =>
  api.stream({ method: 'GET', url: objectUrl(api, name, '?alt=media'), known: knownAs(api, name, as) }, opts);

export const deleteObject = async (api: GoogleApi, name: string, as: string, opts: CallOptions): Promise<void> => {
  await api.call({ method: 'DELETE', url: objectUrl(api, name), known: knownAs(api, name, as) }, opts);
};

export const simpleUpload = async (api: GoogleApi, name: string, contentType: string, body: Buffer, opts: CallOptions): Promise<GcsObject> => {
  const response = await api.call(
    {
      method: 'POST',
      url: uploadUrl(api, { uploadType: 'media', name }),
      headers: { 'content-type': contentType, 'content-length': String(body.length) },
      body,
      known: knownAs(api, name, 'the uploaded object'),
    },
    opts,
  );
  return toGcsObject(api, response.body);
};

/** One page of objects under `prefix`. */
export const listObjects = async (
  api: GoogleApi,
  prefix: string,
  pageToken: string | null,
  maxResults: number,
  opts: CallOptions,
): Promise<{ items: GcsObject[]; nextPageToken: string | null }> => {
  const query = new URLSearchParams({ prefix, maxResults: String(maxResults), ...(pageToken === null ? {} : { pageToken }) });
  const response = await api.call({ method: 'GET', url: `${api.config.gcsBase}/storage/v1${bucketPath(api)}?${query.toString()}` }, opts);
  const body: JsonRecord = isRecord(response.body) ? response.body : {};
  const items = Array.isArray(body['items']) ? body['items'].map((raw) => toGcsObject(api, raw)) : [];
  return { items, nextPageToken: stringAt(body, 'nextPageToken') };
};
