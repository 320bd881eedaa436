/**
 * Splits a byte stream into lines without ever holding more than the current line: memory is
 * bounded by the longest line, whatever the size of the file. Lines are split on the byte 0x0A,
 * so a multi-byte UTF-8 character is never cut, and decoded one line at a time.
 */
import { GatewayError } from '../../errors/gateway-error.js';

export interface Line {
  /** 1-based, counting blank lines, as clients count lines in their editor. */
  readonly lineNo: number;
  readonly text: string;
  /** Offset of the line's first byte in the source (plus `byteStart`), so a reader can come back to it. */
  readonly byteStart: number;
}

export interface LineBytes {
  readonly lineNo: number;
  /**
   * The line's bytes without its newline (a CR before it is kept). Valid only until the next line
   * is asked for: it may be a view of the source's chunk, which the source may then reuse.
   */
  readonly bytes: Buffer;
  readonly byteStart: number;
  /** False for a last line the file ends without a newline. */
  readonly terminated: boolean;
}

const NEWLINE = 0x0a;
/** Strict: invalid sequences throw instead of becoming U+FFFD; a BOM is kept (and dropped below). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_BOM = '\uFEFF';

/**
 * A line's text as every reader of a batch file sees it: strict UTF-8, one CR before the newline
 * dropped, a BOM on the first line dropped.
 */
export function decodeLine(bytes: Uint8Array, lineNo: number): string {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    // JSON text is UTF-8 (RFC 8259); a lenient decode would validate U+FFFD while the raw bytes
    // went upstream.
    throw new GatewayError('invalid_json_line', `Line ${lineNo}: the line is not valid UTF-8. The file was not stored.`);
  }
  if (text.endsWith('\r')) text = text.slice(0, -1);
  // A UTF-8 BOM on the first line is dropped: Azure rejects it, and it is never content.
  if (lineNo === 1 && text.startsWith(UTF8_BOM)) text = text.slice(1);
  return text;
}

/**
 * Splits on 0x0A without decoding: a line held within one chunk is a view of it, and only a line
 * that spans chunks is copied. `byteStart`: where `source` starts in the file, when it was opened
 * past its first byte.
 */
export async function* splitLineBytes(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<LineBytes> {
  let carried: Buffer[] = [];
  let lineNo = 0;
  let offset = byteStart;
  let lineStart = byteStart;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    let at = chunk.indexOf(NEWLINE, start);
    while (at !== -1) {
      let bytes = chunk.subarray(start, at);
      if (carried.length > 0) {
        carried.push(bytes);
        bytes = Buffer.concat(carried);
        carried = [];
      }
      lineNo += 1;
      yield { lineNo, bytes, byteStart: lineStart, terminated: true };
      start = at + 1;
      lineStart = offset + start;
      at = chunk.indexOf(NEWLINE, start);
    }
    // Copy the tail: the source may reuse its chunk buffer once we ask for the next one.
    if (start < chunk.length) carried.push(Buffer.from(chunk.subarray(start)));
    offset += chunk.length;
  }
  if (carried.length > 0) yield { lineNo: lineNo + 1, bytes: Buffer.concat(carried), byteStart: lineStart, terminated: false };
}

/** `byteStart`: where `source` starts in the file, when it was opened past its first byte. */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<Line> {
  for await (const { lineNo, bytes, byteStart: at, terminated } of splitLineBytes(source, byteStart)) {
    const text = decodeLine(bytes, lineNo);
    // A file that ends in a lone CR has no last line.
    if (terminated || text.length > 0) yield { lineNo, text, byteStart: at };
  }
}
