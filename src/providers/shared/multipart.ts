/**
 * A streaming `multipart/form-data` body: text fields, then one file part whose bytes are pulled
 * from a Node `Readable` as the upstream socket drains. Nothing is buffered beyond one chunk, so a
 * 200 MB upload costs the same memory as a 2 KB one. When the file's length is known the exact
 * Content-Length is computed up front (some upstreams reject chunked uploads); otherwise the body
 * goes out chunked.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface MultipartFilePart {
  /** Form field name, `file` for the OpenAI Files API. */
  readonly name: string;
  readonly filename: string;
  readonly contentType: string;
  readonly body: Readable;
  /** Exact byte length of `body`, or null when unknown. */
  readonly bytes: number | null;
}

export interface MultipartBody {
  /** `multipart/form-data; boundary=…`, to send as the request's Content-Type. */
  readonly contentType: string;
  /** Total length of `body` in bytes, or null when the file's length is unknown. */
  readonly contentLength: number | null;
  readonly body: Readable;
}

const CRLF = '\r\n';

/**
 * Escapes a name or filename inside a quoted Content-Disposition parameter the way browsers and
 * the WHATWG FormData serializer do: `"`, CR and LF are percent-encoded; UTF-8 is sent as is.
 */
const quoteParam = (value: string): string =>
  value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const fieldPart = (boundary: string, name: string, value: string): string =>
  `--${boundary}${CRLF}Content-Disposition: form-data; name="${quoteParam(name)}"${CRLF}${CRLF}${value}${CRLF}`;

const fileHeader = (boundary: string, file: MultipartFilePart): string =>
  `--${boundary}${CRLF}` +
  `Content-Disposition: form-data; name="${quoteParam(file.name)}"; filename="${quoteParam(file.filename)}"${CRLF}` +
  `Content-Type: ${file.contentType}${CRLF}${CRLF}`;

/** Builds the body; the file stream is only read once the returned body is. */
export const buildMultipartBody = (
  fields: ReadonlyArray<readonly [name: string, value: string]>,
  file: MultipartFilePart,
): MultipartBody => {
  // 32 hex chars of randomness: a collision with the file's own bytes is not a practical concern.
  const boundary = `----batchgate${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(fields.map(([name, value]) => fieldPart(boundary, name, value)).join('') + fileHeader(boundary, file));
  const tail = Buffer.from(`${CRLF}--${boundary}--${CRLF}`);

  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    // A declared length that does not match would make the upstream read a truncated or
    // overlong part; fail loudly instead of sending a corrupt body.
    const mismatch = (sent: number): Error =>
      new Error(`multipart file part was ${sent} bytes, but ${String(file.bytes)} were declared`);
    let sent = 0;
    for await (const chunk of file.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);
      sent += buffer.length;
      if (file.bytes !== null && sent > file.bytes) throw mismatch(sent);
      yield buffer;
    }
    if (file.bytes !== null && sent !== file.bytes) throw mismatch(sent);
    yield tail;
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: file.bytes === null ? null : head.length + file.bytes + tail.length,
    body: Readable.from(parts(), { objectMode: false }),
  };
};
