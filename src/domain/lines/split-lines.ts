/**
 * Splits a byte stream into lines without ever holding more than the current line: memory is
 * bounded by the longest line, whatever the size of the file. Lines are split on the byte 0x0A,
 * so a multi-byte UTF-8 character is never cut, and decoded one line at a time. `splitLineBytes`
 * hands out the raw bytes instead, for a reader that does not need the text (the copies of a
 * managed upload splice bytes: `files/rewrite-lines.ts`).
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
   * The line without its newline (a CR before it is kept). Only valid until the next line is
   * asked for: it may be a view of the source's chunk, which the source may reuse.
   */
  readonly bytes: Buffer;
  readonly byteStart: number;
  /** Whether this is the last line, one that did not end with a newline. */
  readonly final: boolean;
}

const NEWLINE = 0x0a;
/** Strict: invalid sequences throw instead of becoming U+FFFD; a BOM is kept (and dropped below). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_BOM = '\uFEFF';

/** `byteStart`: where `source` starts in the file, when it was opened past its first byte. */
export async function* splitLineBytes(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<LineBytes> {
  let pending: Buffer[] = [];
  let lineNo = 0;
  let offset = byteStart;
  let lineStart = byteStart;
  const joined = (parts: Buffer[]): Buffer => (parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    let at = chunk.indexOf(NEWLINE, start);
    while (at !== -1) {
      pending.push(chunk.subarray(start, at));
      lineNo += 1;
      yield { lineNo, bytes: joined(pending), byteStart: lineStart, final: false };
      pending = [];
      start = at + 1;
      lineStart = offset + start;
      at = chunk.indexOf(NEWLINE, start);
    }
    // Copy the tail: the source may reuse its chunk buffer once we ask for the next one.
    if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    offset += chunk.length;
  }
  if (pending.length > 0) {
    lineNo += 1;
    yield { lineNo, bytes: joined(pending), byteStart: lineStart, final: true };
  }
}

/** A line's text: strict UTF-8, without a trailing CR, and without a BOM on the first line. */
export function decodeLine(line: Pick<LineBytes, 'lineNo' | 'bytes'>): string {
  let text: string;
  try {
    text = UTF8.decode(line.bytes);
  } catch {
    // JSON text is UTF-8 (RFC 8259); a lenient decode would validate U+FFFD while the raw bytes
    // went upstream.
    throw new GatewayError('invalid_json_line', `Line ${line.lineNo}: the line is not valid UTF-8. The file was not stored.`);
  }
  if (text.endsWith('\r')) text = text.slice(0, -1);
  // A UTF-8 BOM on the first line is dropped: Azure rejects it, and it is never content.
  if (line.lineNo === 1 && text.startsWith(UTF8_BOM)) text = text.slice(1);
  return text;
}

/** `byteStart`: where `source` starts in the file, when it was opened past its first byte. */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<Line> {
  for await (const line of splitLineBytes(source, byteStart)) {
    const text = decodeLine(line);
    // A last line with nothing on it (a file ending in "\r", say) is no line at all.
    if (line.final && text.length === 0) continue;
    yield { lineNo: line.lineNo, text, byteStart: line.byteStart };
  }
}
