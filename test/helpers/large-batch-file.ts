/**
 * Large batch files for the memory-bound tests: written to disk line by line (never held in
 * memory), sent to the gateway as a streaming multipart upload, and read back as a streaming hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { request } from 'undici';
import { buildMultipartBody } from '../../src/providers/shared/multipart.js';

export interface Digest {
  readonly sha256: string;
  readonly bytes: number;
}

export interface LargeBatchFile extends Digest {
  readonly lines: number;
  /** Per upstream model: the digest of the copy with every line's body.model rewritten to it. */
  readonly rewritten: ReadonlyMap<string, Digest>;
}

/** ~9.3 KB lines: a 384 MB file stays under the 50,000-line limit. */
const PADDING = 'x'.repeat(9200);

const lineFor = (i: number, model: string): string =>
  `${JSON.stringify({
    custom_id: `r${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: `${i} ${PADDING}` }], max_tokens: 1 },
  })}\n`;

/** Writes at least `targetBytes` of valid batch lines naming `model`. */
export async function writeLargeBatchFile(
  path: string,
  options: { readonly targetBytes: number; readonly model: string; readonly rewrittenFor?: readonly string[] },
): Promise<LargeBatchFile> {
  const out = createWriteStream(path);
  const original = createHash('sha256');
  const copies = new Map((options.rewrittenFor ?? []).map((m) => [m, { hash: createHash('sha256'), bytes: 0 }]));
  let bytes = 0;
  let lines = 0;
  while (bytes < options.targetBytes) {
    const text = lineFor(lines, options.model);
    bytes += Buffer.byteLength(text);
    original.update(text);
    for (const [model, copy] of copies) {
      const rewritten = lineFor(lines, model);
      copy.hash.update(rewritten);
      copy.bytes += Buffer.byteLength(rewritten);
    }
    lines += 1;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const rewritten = new Map([...copies].map(([m, c]) => [m, { sha256: c.hash.digest('hex'), bytes: c.bytes }]));
  return { sha256: original.digest('hex'), bytes, lines, rewritten };
}

/** POSTs the file to `/v1/files` as a streaming multipart body with an exact Content-Length. */
export async function uploadStreaming(
  baseUrl: string,
  key: string,
  file: { readonly path: string; readonly bytes: number },
  fields: ReadonlyArray<readonly [string, string]>,
): Promise<{ status: number; body: { id: string; bytes: number } }> {
  const multipart = buildMultipartBody(fields, {
    name: 'file',
    filename: 'big.jsonl',
    contentType: 'application/jsonl',
    body: createReadStream(file.path),
    bytes: file.bytes,
  });
  const res = await request(`${baseUrl}/v1/files`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': multipart.contentType,
      ...(multipart.contentLength === null ? {} : { 'content-length': String(multipart.contentLength) }),
    },
    body: multipart.body,
    headersTimeout: 600_000,
    bodyTimeout: 600_000,
  });
  return { status: res.statusCode, body: (await res.body.json()) as { id: string; bytes: number } };
}

/** Downloads a file's content through the gateway, hashing it as it streams. */
export async function downloadDigest(baseUrl: string, key: string, fileId: string): Promise<{ status: number } & Digest> {
  const res = await request(`${baseUrl}/v1/files/${fileId}/content`, {
    headers: { authorization: `Bearer ${key}` },
    bodyTimeout: 600_000,
  });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    bytes += buffer.length;
  }
  return { status: res.statusCode, sha256: hash.digest('hex'), bytes };
}
