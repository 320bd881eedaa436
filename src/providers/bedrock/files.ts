/**
 * Batch input files as S3 objects under `<prefix>batchgate/<label>/<file name>.jsonl`: the label
 * (the gateway file id) is in the key, so a copy whose upload finished but was never recorded can
 * be found by listing, and `UpstreamFile.label` is read back from it. Refs are `s3://bucket/key`.
 *
 * Objects are looked up by listing their exact key rather than by HEAD: the shared HTTP client
 * speaks GET/PUT/POST/DELETE only, and a one-key list answers size and time just as well (with
 * `s3:ListBucket`, which listing and reading results need anyway). S3's DeleteObject answers 204
 * for a key that is not there, so delete looks first and answers not-found itself.
 */
import type { CallOptions, UploadFileInput, UpstreamContent, UpstreamFile } from '../../domain/ports/provider-adapter.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { BedrockConfig } from './params.js';
import { formatS3Uri, parseS3Uri, type S3Client, type S3Listed, type S3Object } from './s3.js';
import { uploadStream } from './upload.js';

const FILES_DIR = 'batchgate/';
const MAX_NAME_CHARS = 200;
const LIST_PAGES = 10;

export interface FilesContext {
  readonly deploymentId: string;
  readonly config: BedrockConfig;
  readonly s3: S3Client;
  readonly timeoutMs: number;
  /** Milliseconds since the epoch (the deployment's clock). */
  readonly now: () => number;
  /** Part size override, for tests. */
  readonly partSize?: number | undefined;
}

/** Bedrock wants `.jsonl` input names; anything else in the name is kept readable but key-safe. */
export const objectFileName = (filename: string): string => {
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_NAME_CHARS) || 'input';
  return safe.endsWith('.jsonl') ? safe : `${safe}.jsonl`;
};

const labelSegment = (label: string): string => label.replace(/[^A-Za-z0-9._-]/g, '_');

/** `<prefix>batchgate/<label>/<name>` → label and name; null for keys we did not write. */
const splitKey = (config: BedrockConfig, key: string): { label: string; filename: string } | null => {
  const root = `${config.input.prefix}${FILES_DIR}`;
  if (!key.startsWith(root)) return null;
  const [label, filename, ...rest] = key.slice(root.length).split('/');
  if (label === undefined || label === '' || filename === undefined || filename === '' || rest.length > 0) return null;
  return { label, filename };
};

const notFound = (ctx: FilesContext): UpstreamError =>
  new UpstreamError({ deploymentId: ctx.deploymentId, failure: 'http', status: 404, code: 'NoSuchKey', message: 'the input object does not exist' });

const objectOf = (ctx: FilesContext, ref: string): S3Object => {
  const obj = parseS3Uri(ref);
  if (obj === null || obj.key === '') throw notFound(ctx);
  return obj;
};

const toFile = (ctx: FilesContext, bucket: string, listed: S3Listed): UpstreamFile => {
  const parts = splitKey(ctx.config, listed.key);
  return {
    ref: formatS3Uri({ bucket, key: listed.key }),
    bytes: listed.size,
    createdAt: listed.lastModifiedMs === null ? null : Math.floor(listed.lastModifiedMs / 1000),
    expiresAt: null,
    filename: parts?.filename ?? listed.key.split('/').pop() ?? null,
    purpose: 'batch',
    status: 'processed',
    label: parts?.label ?? null,
  };
};

const lookup = async (ctx: FilesContext, obj: S3Object, signal: AbortSignal): Promise<S3Listed> => {
  const page = await ctx.s3.listObjects(obj.bucket, obj.key, { maxKeys: 1, signal });
  const found = page.objects[0];
  if (found === undefined || found.key !== obj.key) throw notFound(ctx);
  return found;
};

export const uploadFile = async (ctx: FilesContext, input: UploadFileInput, opts: CallOptions): Promise<UpstreamFile> => {
  const key = `${ctx.config.input.prefix}${FILES_DIR}${labelSegment(input.label)}/${objectFileName(input.filename)}`;
  const obj = { bucket: ctx.config.input.bucket, key };
  const bytes = await uploadStream(ctx.s3, obj, input.body, {
    signal: opts.signal,
    abortTimeoutMs: ctx.timeoutMs,
    ...(ctx.partSize === undefined ? {} : { partSize: ctx.partSize }),
  });
  return toFile(ctx, obj.bucket, { key, size: bytes, lastModifiedMs: ctx.now() });
};

export const retrieveFile = async (ctx: FilesContext, ref: string, opts: CallOptions): Promise<UpstreamFile> => {
  const obj = objectOf(ctx, ref);
  return toFile(ctx, obj.bucket, await lookup(ctx, obj, opts.signal));
};

export const openFileContent = async (ctx: FilesContext, ref: string, opts: CallOptions): Promise<UpstreamContent> => {
  const { body, bytes } = await ctx.s3.getObject(objectOf(ctx, ref), opts.signal, 'reading the input object');
  return { body, contentType: 'application/jsonl', bytes };
};

export const deleteFile = async (ctx: FilesContext, ref: string, opts: CallOptions): Promise<void> => {
  const obj = objectOf(ctx, ref);
  await lookup(ctx, obj, opts.signal);
  await ctx.s3.deleteObject(obj, opts.signal);
};

/**
 * S3 lists in key order, not time order: a bounded number of pages is read, filtered by time and
 * sorted newest first (at most ten thousand small records in memory).
 */
export async function* listFilesSince(ctx: FilesContext, sinceSeconds: number, opts: CallOptions): AsyncGenerator<UpstreamFile> {
  const { bucket, prefix } = ctx.config.input;
  const found: UpstreamFile[] = [];
  let token: string | null = null;
  for (let page = 0; page < LIST_PAGES; page++) {
    const result = await ctx.s3.listObjects(bucket, `${prefix}${FILES_DIR}`, { token, signal: opts.signal });
    for (const listed of result.objects) {
      if (splitKey(ctx.config, listed.key) === null) continue;
      const file = toFile(ctx, bucket, listed);
      if (file.createdAt === null || file.createdAt >= sinceSeconds) found.push(file);
    }
    token = result.nextToken;
    if (token === null) break;
  }
  found.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  yield* found;
}
