/**
 * The adapter's file operations on GCS. Inputs live at `<prefix>batchgate/<label>/<filename>`:
 * the gateway file id (label) is read back from the name, so a copy whose upload was never
 * recorded can be found by `listFilesSince`. Refs are `gs://bucket/name`, opaque to everyone
 * else, and only refs under our own prefix are accepted (a ref is never taken for a path to
 * anything else in the bucket).
 */
import type { CallOptions, UploadFileInput, UpstreamContent, UpstreamFile } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { deleteObject, downloadObject, getObject, gsUri, listObjects, parseGsUri, type GcsObject } from './gcs.js';
import { uploadStream } from './gcs-upload.js';
import type { GoogleApi } from './google-http.js';

export const INPUT_CONTENT_TYPE = 'application/jsonl';
const FILES_DIR = 'batchgate/';
const LIST_PAGE_SIZE = 1000;
const LIST_MAX_PAGES = 10;
const AS_INPUT = 'the input object';

export const filesPrefix = (api: GoogleApi): string => `${api.config.prefix}${FILES_DIR}`;

/** A filename as one path segment: no `/`, no control characters, never empty. */
const safeFilename = (filename: string): string => {
  const cleaned = filename.replace(/[/\\\u0000-\u001f\u007f]/g, '_').slice(0, 512);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'input.jsonl' : cleaned;
};

export const objectNameOf = (api: GoogleApi, label: string, filename: string): string =>
  `${filesPrefix(api)}${safeFilename(label)}/${safeFilename(filename)}`;

/** The object name of one of our refs; anything else is refused. */
export const nameOfRef = (api: GoogleApi, ref: string): string => {
  const parsed = parseGsUri(ref);
  if (parsed === null || parsed.bucket !== api.config.bucket || !parsed.name.startsWith(filesPrefix(api))) {
    throw new GatewayError('invalid_request', 'This file is not one the Vertex AI deployment stored.');
  }
  return parsed.name;
};

export const toUpstreamFile = (api: GoogleApi, object: GcsObject): UpstreamFile => {
  const rest = object.name.startsWith(filesPrefix(api)) ? object.name.slice(filesPrefix(api).length) : object.name;
  const slash = rest.indexOf('/');
  return {
    ref: gsUri(object.bucket, object.name),
    bytes: object.size,
    createdAt: object.createdAt,
    expiresAt: null,
    filename: slash < 0 ? rest : rest.slice(slash + 1),
    purpose: 'batch',
    status: 'processed',
    label: slash <= 0 ? null : rest.slice(0, slash),
  };
};

export const uploadFile = async (api: GoogleApi, input: UploadFileInput, chunkBytes: number, opts: CallOptions): Promise<UpstreamFile> => {
  const object = await uploadStream(api, objectNameOf(api, input.label, input.filename), INPUT_CONTENT_TYPE, input.body, chunkBytes, opts);
  return toUpstreamFile(api, object);
};

export const retrieveFile = async (api: GoogleApi, ref: string, opts: CallOptions): Promise<UpstreamFile> =>
  toUpstreamFile(api, await getObject(api, nameOfRef(api, ref), AS_INPUT, opts));

const firstHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export const openFileContent = async (api: GoogleApi, ref: string, opts: CallOptions): Promise<UpstreamContent> => {
  const response = await downloadObject(api, nameOfRef(api, ref), AS_INPUT, opts);
  const length = firstHeader(response.headers['content-length']);
  const contentType = firstHeader(response.headers['content-type']);
  return {
    body: response.body,
    contentType: contentType === undefined || contentType === '' ? INPUT_CONTENT_TYPE : contentType,
    bytes: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
  };
};

export const deleteFile = (api: GoogleApi, ref: string, opts: CallOptions): Promise<void> => deleteObject(api, nameOfRef(api, ref), AS_INPUT, opts);

/**
 * Our objects created at or after `sinceSeconds`, newest first. GCS lists by name, not by time,
 * so a bounded number of pages is read and sorted.
 */
export async function* listFilesSince(api: GoogleApi, sinceSeconds: number, opts: CallOptions): AsyncGenerator<UpstreamFile> {
  const found: UpstreamFile[] = [];
  let pageToken: string | null = null;
  for (let page = 0; page < LIST_MAX_PAGES; page++) {
    const result = await listObjects(api, filesPrefix(api), pageToken, LIST_PAGE_SIZE, opts);
    for (const object of result.items) {
      if (object.createdAt === null || object.createdAt >= sinceSeconds) found.push(toUpstreamFile(api, object));
    }
    pageToken = result.nextPageToken;
    if (pageToken === null) break;
  }
  yield* found.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
}
