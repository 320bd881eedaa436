/**
 * Receives a `multipart/form-data` upload by streaming its file part to a spool file on local
 * disk (memory bounded by the chunk size, whatever the file size) and collecting the text fields.
 * Spooling lets fields that come after the file (the OpenAI SDK sends `file` first) still decide
 * how the file is validated and where it goes, and lets every line be checked before a byte is
 * sent upstream.
 *
 * Every way a body can end badly (truncated, cut inside the closing delimiter, the client
 * resetting the connection, a stalled sender, the request deadline) settles here as one typed
 * error, after the spool file's write stream has closed and the file is removed: nothing is left
 * running that could reject later with nobody listening, and nothing is left on disk.
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
import { spoolChunks } from './spool-chunks.js';

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
  /** A body that sends nothing for this long is abandoned with a 408. */
  readonly idleTimeoutMs: number;
  /** The request's own deadline or its client leaving; its reason is what the caller gets. */
  readonly signal?: AbortSignal;
}

/** How long a parser may make no progress once the whole body has arrived. */
const PARSE_STALL_MS = 1_000;

const tooLarge = (max: number): GatewayError =>
  new GatewayError('file_too_large', `The file is larger than ${max} bytes, the most this gateway accepts.`, {
    param: 'file',
  });

const malformed = (err: unknown): GatewayError =>
  new GatewayError('invalid_request', `Malformed multipart request: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });

export async function receiveUpload(source: Readable, headers: IncomingHttpHeaders, options: ReceiveOptions): Promise<ReceivedUpload> {
  if (!(headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw new GatewayError('invalid_request', 'The request must be multipart/form-data with a file and a purpose.');
  }
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
    throw malformed(err);
  }
  await mkdir(options.spoolDir, { recursive: true });
  const path = join(options.spoolDir, `upload-${randomUUID()}`);
  const dispose = () => rm(path, { force: true });
  const fields = new Map<string, string[]>();
  // Assigned from busboy's callback; a holder keeps the type checker honest about that.
  const received: { file: { filename: string; bytes: number } | null } = { file: null };
  // The spool write, observed from the moment it starts: it may fail before the body pipeline
  // does (a full disk) or after it (the parser destroyed mid-part), and neither may go unheard.
  let write: Promise<unknown> | null = null;
  // Every part stream busboy hands us, so the error path can end them: busboy may emit a part
  // after it has already failed, and nothing else would ever end that stream.
  const parts: Readable[] = [];
  let failure: GatewayError | null = null;
  const fail = (err: GatewayError): void => {
    failure ??= err;
  };

  // Set once the whole body has arrived (see below); refreshed by every sign of parsing progress.
  let parseWatchdog: NodeJS.Timeout | null = null;
  const progress = (): void => {
    parseWatchdog?.refresh();
  };
  parser.on('field', (name, value) => {
    progress();
    const list = fields.get(name) ?? [];
    list.push(value);
    fields.set(name, list);
  });
  parser.on('file', (name, stream, info) => {
    parts.push(stream);
    if (name !== 'file' || write !== null) {
      fail(
        name !== 'file'
          ? new GatewayError('invalid_request', `Unexpected file field '${name}': send the file as 'file'.`, { param: name })
          : new GatewayError('invalid_request', 'Send exactly one file per upload.', { param: 'file' }),
      );
      // A refused part is drained; its own error (the body cut inside it) is the parser's too.
      stream.on('error', () => {});
      stream.resume();
      return;
    }
    const entry = { filename: info.filename || 'upload', bytes: 0 };
    received.file = entry;
    stream.on('data', (chunk: Buffer) => {
      progress();
      entry.bytes += chunk.length;
    });
    stream.on('limit', () => {
      fail(tooLarge(options.maxFileBytes));
      stream.resume();
    });
    const out = createWriteStream(path);
    // Settled once the spool file is closed, not merely when the pipeline gives up: a write stream
    // still opening its file would recreate it after the error path removed it.
    const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
    const writing = pipeline(stream, out);
    writing.catch(() => {}); // settled and inspected below; never an unhandled rejection
    const settledWrite = Promise.allSettled([writing, closed]).then(() => writing);
    settledWrite.catch(() => {});
    write = settledWrite;
  });
  parser.on('filesLimit', () => fail(new GatewayError('invalid_request', 'Send exactly one file per upload.', { param: 'file' })));

  // A stalled sender: no bytes for idleTimeoutMs ends the body with a 408.
  const stalled = new GatewayError(
    'request_timeout',
    `The upload stalled: no data arrived for ${Math.round(options.idleTimeoutMs / 1000)} s. Nothing was stored.`,
  );
  const idle = new AbortController();
  const timer = setTimeout(() => idle.abort(stalled), options.idleTimeoutMs);
  const onData = (): void => {
    timer.refresh();
  };
  source.on('data', onData);
  // Once the client has sent everything, only parsing is left, and that never waits on the
  // network: a parser that makes no progress for PARSE_STALL_MS is stuck on input it cannot end
  // (busboy can be, on some boundary lookalikes cut into tiny chunks), and the body is malformed.
  const unparseable = new GatewayError('invalid_request', 'Malformed multipart request: the body ended inside a part that cannot be read to its end.');
  const stuck = new AbortController();
  const onEnd = (): void => {
    parseWatchdog = setTimeout(() => stuck.abort(unparseable), PARSE_STALL_MS);
    parseWatchdog.unref();
  };
  source.once('end', onEnd);
  const signals = [idle.signal, stuck.signal, ...(options.signal === undefined ? [] : [options.signal])];
  const signal = AbortSignal.any(signals);
  try {
    await pipeline(source, parser, { signal });
    await write;
  } catch (err) {
    // The parser may be gone while its file stream is still open: end it so the spool write
    // closes its file before the file is removed (a late open would recreate it).
    destroyQuietly(parser, err);
    for (const part of parts) if (!part.destroyed) part.destroy(err instanceof Error ? err : new Error(String(err)));
    await settled(write);
    await dispose();
    if (failure !== null) throw failure;
    if (signal.aborted && signal.reason instanceof GatewayError) throw signal.reason;
    throw malformed(err);
  } finally {
    clearTimeout(timer);
    if (parseWatchdog !== null) clearTimeout(parseWatchdog);
    source.off('data', onData);
    source.off('end', onEnd);
  }
  if (failure !== null) {
    await dispose();
    throw failure;
  }
  const { file } = received;
  return {
    fields,
    file:
      file === null
        ? null
        : { ...file, open: (start = 0) => createReadStream(path, { start, highWaterMark: 256 * 1024 }), chunks: (start = 0) => spoolChunks(path, start) },
    dispose,
  };
}

const settled = async (p: Promise<unknown> | null): Promise<void> => {
  if (p !== null) await p.then(
    () => undefined,
    () => undefined,
  );
};

const destroyQuietly = (parser: busboy.Busboy, err: unknown): void => {
  if (!parser.destroyed) parser.destroy(err instanceof Error ? err : new Error(String(err)));
};
