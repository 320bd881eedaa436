/**
 * The Files API calls (`reference/wire.md` §1), shared by every OpenAI-style upstream. Uploads are
 * streamed as multipart; content is handed back unbuffered.
 */
import type {
  CallOptions,
  UpstreamContent,
  UpstreamFile,
  UploadFileInput,
} from '../../domain/ports/provider-adapter.js';
import { isRecord } from '../shared/json.js';
import { buildMultipartBody } from '../shared/multipart.js';
import { segment, type OpenAIStyleApi } from './api.js';
import { labelledFilename } from './labels.js';
import { listSince } from './list-since.js';
import { toUpstreamFile } from './map.js';

/** What OpenAI's SDKs send for a file part whose type they do not know (`.jsonl` has none). */
const FILE_PART_CONTENT_TYPE = 'application/octet-stream';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const fileOf = (api: OpenAIStyleApi, raw: unknown): UpstreamFile =>
  toUpstreamFile(api.normalizeFile(raw), api.http.malformed);

export const uploadFile = async (api: OpenAIStyleApi, input: UploadFileInput, opts: CallOptions): Promise<UpstreamFile> => {
  // Bracketed keys, as the official SDKs encode nested form fields (wire.md §1.2); Azure accepts them too.
  const fields: Array<readonly [string, string]> = [['purpose', input.purpose]];
  if (input.expiresAfter !== null) {
    fields.push(['expires_after[anchor]', input.expiresAfter.anchor]);
    fields.push(['expires_after[seconds]', String(input.expiresAfter.seconds)]);
  }
  const multipart = buildMultipartBody(fields, {
    name: 'file',
    filename: labelledFilename(input.label, input.filename),
    contentType: FILE_PART_CONTENT_TYPE,
    body: input.body,
    bytes: input.bytes,
  });
  const response = await api.http.json({
    method: 'POST',
    url: api.url('/files'),
    headers: {
      ...api.headers,
      'content-type': multipart.contentType,
      ...(multipart.contentLength === null ? {} : { 'content-length': String(multipart.contentLength) }),
    },
    body: multipart.body,
    signal: opts.signal,
  });
  return fileOf(api, response.body);
};

export const retrieveFile = async (api: OpenAIStyleApi, ref: string, opts: CallOptions): Promise<UpstreamFile> => {
  const response = await api.http.json({
    method: 'GET',
    url: api.url(`/files/${segment(ref)}`),
    headers: api.headers,
    signal: opts.signal,
  });
  return fileOf(api, response.body);
};

const firstHeader = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

export const openFileContent = async (api: OpenAIStyleApi, ref: string, opts: CallOptions): Promise<UpstreamContent> => {
  const response = await api.http.stream({
    method: 'GET',
    url: api.url(`/files/${segment(ref)}/content`),
    headers: api.headers,
    signal: opts.signal,
  });
  const length = firstHeader(response.headers['content-length']);
  const bytes = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
  const contentType = firstHeader(response.headers['content-type']);
  return {
    body: response.body,
    contentType: contentType === undefined || contentType === '' ? DEFAULT_CONTENT_TYPE : contentType,
    bytes,
  };
};

export const deleteFile = async (api: OpenAIStyleApi, ref: string, opts: CallOptions): Promise<void> => {
  const response = await api.http.json({
    method: 'DELETE',
    url: api.url(`/files/${segment(ref)}`),
    headers: api.headers,
    signal: opts.signal,
  });
  // `{id, object, deleted}`; an empty 204 also means done.
  if (isRecord(response.body) && response.body['deleted'] === false) {
    throw api.http.malformed(`file ${ref} was not deleted (deleted: false)`);
  }
};

/** The cheapest authenticated call there is: list at most one file. */
export const probe = async (api: OpenAIStyleApi, opts: CallOptions): Promise<void> => {
  await api.http.json({
    method: 'GET',
    url: api.url('/files', { limit: '1' }),
    headers: api.headers,
    signal: opts.signal,
  });
};

export const listFilesSince = (api: OpenAIStyleApi, sinceSeconds: number, opts: CallOptions): AsyncIterable<UpstreamFile> =>
  listSince(api, '/files', { order: 'desc' }, sinceSeconds, opts, (raw) => fileOf(api, raw));
