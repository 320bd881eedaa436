/**
 * Files the gateway keeps in its blob store, behind the provider port's file calls: the inputs
 * of batches it executes (`executor/executed-adapter.ts`) or streams inline at create
 * (`files/staged-adapter.ts`), and the outputs it writes. One place for what a kept file looks like
 * as an `UpstreamFile`, how its key carries the gateway file id (the copy's label), and how a
 * missing blob answers (a 404 `UpstreamError`, as a missing upstream file would).
 */
import { UpstreamError } from '../../errors/upstream-error.js';
import { BlobNotFoundError, type BlobStore } from '../ports/blob-store.js';
import { toSeconds, type Clock } from '../ports/clock.js';
import type { CallOptions, UpstreamContent, UpstreamFile, UploadFileInput } from '../ports/provider-adapter.js';

/** Blob keys are built from gateway and deployment ids, reduced to characters every store accepts. */
export const safeKeyPart = (part: string): string => part.replace(/[^A-Za-z0-9_-]/g, '_');

/** `<prefix><gateway file id>/<deployment>.jsonl`: the file id is the copy's label. */
const keptInputKey = (prefix: string, fileLabel: string, deploymentId: string): string =>
  `${prefix}${safeKeyPart(fileLabel)}/${safeKeyPart(deploymentId)}.jsonl`;

/** Listing for the reconciler is bounded, as every adapter's is. */
const LIST_LIMIT = 1000;

export interface BlobFiles {
  /** `<inputPrefix><gateway file id>/<deployment>.jsonl`. */
  keyOf(fileLabel: string): string;
  fileOf(ref: string, bytes: number, extra?: Partial<UpstreamFile>): UpstreamFile;
  upload(input: UploadFileInput, opts: CallOptions): Promise<UpstreamFile>;
  retrieve(ref: string): Promise<UpstreamFile>;
  open(ref: string, opts: CallOptions): Promise<UpstreamContent>;
  /** Every kept input of this deployment (bounded), for the reconciler. */
  list(): AsyncGenerator<UpstreamFile>;
  notFound(what: string): UpstreamError;
}

export function blobFiles(deploymentId: string, deps: { readonly blobs: BlobStore; readonly clock: Clock }, inputPrefix: string): BlobFiles {
  const notFound = (what: string): UpstreamError =>
    new UpstreamError({ deploymentId, failure: 'http', status: 404, message: `No such ${what}.`, code: 'not_found' });
  const keyOf = (fileLabel: string): string => keptInputKey(inputPrefix, fileLabel, deploymentId);
  const isInput = (ref: string): boolean => ref.startsWith(inputPrefix);
  const fileOf = (ref: string, bytes: number, extra: Partial<UpstreamFile> = {}): UpstreamFile => ({
    ref,
    bytes,
    createdAt: null,
    expiresAt: null,
    filename: ref.split('/').pop() ?? ref,
    purpose: isInput(ref) ? 'batch' : 'batch_output',
    status: 'processed',
    label: isInput(ref) ? (ref.slice(inputPrefix.length).split('/')[0] ?? null) : null,
    ...extra,
  });
  return {
    keyOf,
    fileOf,
    notFound,
    upload: async (input, opts) => {
      const ref = keyOf(input.label);
      const { bytes } = await deps.blobs.put(ref, input.body, { signal: opts.signal, contentType: 'application/jsonl' });
      const now = toSeconds(deps.clock.now());
      return fileOf(ref, bytes, {
        createdAt: now,
        expiresAt: input.expiresAfter === null ? null : now + input.expiresAfter.seconds,
        filename: input.filename,
        purpose: input.purpose,
        label: input.label,
      });
    },
    retrieve: async (ref) => {
      const stat = await deps.blobs.stat(ref);
      if (stat === null) throw notFound('file');
      return fileOf(ref, stat.bytes);
    },
    open: async (ref, opts) => {
      const stat = await deps.blobs.stat(ref);
      try {
        return { body: await deps.blobs.open(ref, { signal: opts.signal }), contentType: 'application/jsonl', bytes: stat?.bytes ?? null };
      } catch (err) {
        if (err instanceof BlobNotFoundError) throw notFound('file');
        throw err;
      }
    },
    list: async function* () {
      let n = 0;
      for await (const key of deps.blobs.list(inputPrefix)) {
        if (!key.endsWith(`/${safeKeyPart(deploymentId)}.jsonl`)) continue;
        const stat = await deps.blobs.stat(key);
        if (stat !== null) yield fileOf(key, stat.bytes);
        if (++n >= LIST_LIMIT) return;
      }
    },
  };
}
