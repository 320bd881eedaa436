/**
 * HTTP/1.1 by hand, for tests that must send what no well-behaved client would: truncated and
 * aborted bodies, broken chunked encoding, oversized headers, a garbage request line. A request
 * is a list of steps (write bytes, wait, destroy the socket) played on a raw `net` socket; the
 * answer is parsed just enough to read the status, headers and body (Content-Length, chunked or
 * until close). Every socket is destroyed before the promise settles.
 */
import { connect, type Socket } from 'node:net';

/** One step of a raw exchange. */
export type RawStep =
  | { readonly write: string | Buffer }
  /** Pause before the next step (a slow client). */
  | { readonly waitMs: number }
  /** Half-close: the client has nothing more to send. */
  | { readonly end: true }
  /** Tear the connection down now, as a client that gives up or crashes. */
  | { readonly destroy: true };

export interface RawResponse {
  readonly status: number;
  readonly statusText: string;
  /** Header names lower-cased; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly json: unknown;
}

export type RawOutcome =
  | { readonly kind: 'response'; readonly response: RawResponse }
  /** The server closed (or reset) the connection without a complete answer. */
  | { readonly kind: 'closed'; readonly received: Buffer }
  /** The client destroyed the socket itself (a `destroy` step) before any answer came. */
  | { readonly kind: 'left' }
  /** Nothing complete arrived within the time limit; the client gave up and destroyed the socket. */
  | { readonly kind: 'timeout'; readonly received: Buffer };

export interface RawOptions {
  /** How long to wait for an answer once every step has run (default 5 s). */
  readonly timeoutMs?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

interface Head {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Record<string, string>;
  readonly bodyStart: number;
}

const parseHead = (data: Buffer): Head | null => {
  const end = data.indexOf(HEADER_END);
  if (end < 0) return null;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
  if (match === null) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), statusText: match[2] ?? '', headers, bodyStart: end + HEADER_END.length };
};

/** The decoded body of a chunked message, or null while it is incomplete. */
const dechunk = (data: Buffer): Buffer | null => {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) return null;
    const start = lineEnd + 2;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < start + size + 2) return null;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
};

const toResponse = (head: Head, body: Buffer): RawResponse => {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: head.status, statusText: head.statusText, headers: head.headers, body, text, json };
};

/** A complete response at the start of `data`, or null while more bytes are needed. */
const completeResponse = (data: Buffer, closed: boolean): RawResponse | null => {
  const head = parseHead(data);
  if (head === null) return null;
  const rest = data.subarray(head.bodyStart);
  if (/\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '')) {
    const body = dechunk(rest);
    return body === null ? null : toResponse(head, body);
  }
  const length = head.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return rest.length >= n ? toResponse(head, rest.subarray(0, n)) : null;
  }
  if (head.status === 204 || head.status === 304) return toResponse(head, Buffer.alloc(0));
  return closed ? toResponse(head, rest) : null;
};

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/**
 * Plays `steps` against `baseUrl` (`http://127.0.0.1:port`) on a fresh connection and resolves
 * with what came back. It never rejects for network reasons: a reset is `closed`, silence is
 * `timeout`.
 */
export async function rawExchange(baseUrl: string, steps: readonly RawStep[], options: RawOptions = {}): Promise<RawOutcome> {
  const { hostname, port } = new URL(baseUrl);
  const socket: Socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => {
    // A reset is reported through `close`; the outcome says what happened.
  });
  let received = Buffer.alloc(0);
  let closed = false;
  let settle: (() => void) | null = null;
  const changed = (): void => settle?.();
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    changed();
  });
  socket.on('close', () => {
    closed = true;
    changed();
  });
  await new Promise<void>((res) => {
    socket.once('connect', res);
    socket.once('close', res);
  });

  const answered = (): RawResponse | null => completeResponse(received, closed);
  try {
    for (const step of steps) {
      if (answered() !== null || closed) break;
      if ('write' in step) {
        await new Promise<void>((res) => socket.write(step.write, () => res()));
      } else if ('waitMs' in step) {
        await sleep(step.waitMs);
      } else if ('end' in step) {
        socket.end();
      } else {
        socket.destroy();
        await sleep(0);
        const early = answered();
        return early === null ? { kind: 'left' } : { kind: 'response', response: early };
      }
    }
    const timeoutMs = options.timeoutMs ?? 5_000;
    const result = await new Promise<RawOutcome>((res) => {
      const timer = setTimeout(() => res({ kind: 'timeout', received }), timeoutMs);
      settle = () => {
        const response = answered();
        if (response !== null || closed) {
          clearTimeout(timer);
          res(response === null ? { kind: 'closed', received } : { kind: 'response', response });
        }
      };
      settle();
    });
    return result;
  } finally {
    settle = null;
    socket.destroy();
  }
}

/** Writes the whole request at once, then waits for the answer. */
export const rawRequest = (baseUrl: string, request: string | Buffer, options: RawOptions = {}): Promise<RawOutcome> =>
  rawExchange(baseUrl, [{ write: request }], options);

export interface HeadOptions {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | number>>;
}

/** A request head (request line, `Host`, the given headers, the blank line), as bytes. */
export const requestHead = (baseUrl: string, options: HeadOptions): Buffer => {
  const { host } = new URL(baseUrl);
  const lines = [`${options.method} ${options.path} HTTP/1.1`, `Host: ${host}`];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${String(value)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
};

export interface Part {
  readonly name: string;
  readonly value: string | Buffer;
  /** Present for a file part. */
  readonly filename?: string;
  readonly contentType?: string;
}

/** A `multipart/form-data` body with the given parts, closed by `--boundary--\r\n`. */
export const multipartBody = (boundary: string, parts: readonly Part[]): Buffer => {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.filename === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.filename}"`;
    const type = part.contentType ?? (part.filename === undefined ? undefined : 'application/octet-stream');
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type === undefined ? '' : `Content-Type: ${type}\r\n`}\r\n`),
      Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
};

/** The error envelope's four keys, when `json` has that shape; else null. */
export const envelopeOf = (json: unknown): { message: unknown; type: unknown; param: unknown; code: unknown } | null => {
  if (typeof json !== 'object' || json === null || !('error' in json)) return null;
  const error = (json as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const keys = Object.keys(error).sort();
  if (keys.join(',') !== 'code,message,param,type') return null;
  return error as { message: unknown; type: unknown; param: unknown; code: unknown };
};
