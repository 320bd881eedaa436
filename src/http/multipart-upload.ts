/**
 * Receives a `multipart/form-data` upload by streaming its file part to a spool file on local
 * disk (memory bounded by the chunk size, whatever the file size) and collecting the text fields.
 * Spooling lets fields that come after the file (the OpenAI SDK sends `file` first) still decide
 * how the file is validated and where it goes, and lets every line be checked before a byte is
 * sent upstream.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { SpooledUpload } from '../domain/files/spooled-upload.js';
import { GatewayError } from '../errors/gateway-error.js';

export interface ReceivedUpload {
  /** Every text field, in arrival order per name. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  readonly file: SpooledUpload | null;
  /** Removes the spool file; call once the upload has been handled, whatever the outcome. */
  dispose(): Promise<void>;
}

export interface ReceiveOptions {
  readonly spoolDir: string;
  readonly maxFileBytes: number;
}

const tooLarge = (max: number): GatewayError =>
  new GatewayError('file_too_large', `The file is larger than ${max} bytes, the most this gateway accepts.`, {
    param: 'file',
  });

export async function receiveUpload(source: Readable, headers: IncomingHttpHeaders, options: ReceiveOptions): Promise<ReceivedUpload> {
  if (!(headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw new GatewayError('invalid_request', 'The request must be multipart/form-data with a file and a purpose.');
  }
  await mkdir(options.spoolDir, { recursive: true });
  const path = join(options.spoolDir, `upload-${randomUUID()}`);
  const fields = new Map<string, string[]>();
  // Assigned from busboy's callback; a holder keeps the type checker honest about that.
  const received: { file: { filename: string; bytes: number } | null } = { file: null };
  const dispose = () => rm(path, { force: true });

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers,
      // Clients (fetch's FormData, the OpenAI SDKs, curl) send filenames as raw UTF-8; busboy's
      // default, latin1, would turn "données.jsonl" into "donnÃ©es.jsonl".
      defParamCharset: 'utf8',
      // busboy reports 'limit' once a file *reaches* fileSize; one byte more lets a file of
      // exactly the configured maximum through.
      limits: { files: 1, fileSize: options.maxFileBytes + 1, fields: 200, fieldSize: 1024 * 1024 },
    });
  } catch (err) {
    throw new GatewayError('invalid_request', `Malformed multipart request: ${(err as Error).message}`, { cause: err });
  }
  const writes: Promise<void>[] = [];
  let failure: GatewayError | null = null;
  parser.on('field', (name, value) => {
    const list = fields.get(name) ?? [];
    list.push(value);
    fields.set(name, list);
  });
  parser.on('file', (name, stream, info) => {
    if (name !== 'file') {
      failure ??= new GatewayError('invalid_request', `Unexpected file field '${name}': send the file as 'file'.`, { param: name });
      stream.resume();
      return;
    }
    const entry = { filename: info.filename || 'upload', bytes: 0 };
    received.file = entry;
    stream.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.length;
    });
    stream.on('limit', () => {
      failure ??= tooLarge(options.maxFileBytes);
      stream.resume();
    });
    writes.push(pipeline(stream, createWriteStream(path)));
  });
  parser.on('filesLimit', () => {
    failure ??= new GatewayError('invalid_request', 'Send exactly one file per upload.', { param: 'file' });
  });
  try {
    await pipeline(source, parser);
    await Promise.all(writes);
  } catch (err) {
    await dispose();
    if (failure !== null) throw failure;
    throw new GatewayError('invalid_request', `Malformed multipart request: ${(err as Error).message}`, { cause: err });
  }
  if (failure !== null) {
    await dispose();
    throw failure;
  }
  const { file } = received;
  return {
    fields,
    file: file === null ? null : { ...file, open: () => createReadStream(path, { highWaterMark: 256 * 1024 }) },
    dispose,
  };
}
