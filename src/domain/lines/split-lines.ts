/**
 * Splits a byte stream into lines without ever holding more than the current line: memory is
 * bounded by the longest line, whatever the size of the file. Lines are split on the byte 0x0A,
 * so a multi-byte UTF-8 character is never cut, and decoded one line at a time (`splitLines`)
 * or left as bytes (`splitLineBytes`, for a copy that never needs the text).
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

/** Where a split has got to across chunks. */
interface SplitState {
  /** The start of a line cut by a chunk boundary, copied. */
  carried: Buffer[];
  lineNo: number;
  offset: number;
  lineStart: number;
}

/**
 * The lines a chunk completes. Synchronous, so each of the two readers below costs one async
 * step per line, not two (a reader built on the other would pay both).
 */
function* completedLines(raw: Uint8Array | string, s: SplitState): Generator<LineBytes> {
  const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let start = 0;
  let at = chunk.indexOf(NEWLINE, start);
  while (at !== -1) {
    let bytes = chunk.subarray(start, at);
    if (s.carried.length > 0) {
      s.carried.push(bytes);
      bytes = Buffer.concat(s.carried);
      s.carried = [];
    }
    s.lineNo += 1;
    yield { lineNo: s.lineNo, bytes, byteStart: s.lineStart };
    start = at + 1;
    s.lineStart = s.offset + start;
    at = chunk.indexOf(NEWLINE, start);
  }
  // Copy the tail: the source may reuse its chunk buffer once we ask for the next one.
  if (start < chunk.length) s.carried.push(Buffer.from(chunk.subarray(start)));
  s.offset += chunk.length;
}

/** The line a file ends without a newline, if any. */
const unterminatedLine = (s: SplitState): LineBytes | null =>
  s.carried.length > 0 ? { lineNo: s.lineNo + 1, bytes: Buffer.concat(s.carried), byteStart: s.lineStart } : null;

const startAt = (byteStart: number): SplitState => ({ carried: [], lineNo: 0, offset: byteStart, lineStart: byteStart });

/**
 * Splits on 0x0A without decoding: a line held within one chunk is a view of it, and only a line
 * that spans chunks is copied. `byteStart`: where `source` starts in the file, when it was opened
 * past its first byte.
 */
export async function* splitLineBytes(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<LineBytes> {
  const state = startAt(byteStart);
  for await (const raw of source) for (const line of completedLines(raw, state)) yield line;
  const last = unterminatedLine(state);
  if (last !== null) yield last;
}

/** `byteStart`: where `source` starts in the file, when it was opened past its first byte. */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<Line> {
  const state = startAt(byteStart);
  for await (const raw of source) {
    for (const { lineNo, bytes, byteStart: at } of completedLines(raw, state)) yield { lineNo, text: decodeLine(bytes, lineNo), byteStart: at };
  }
  const last = unterminatedLine(state);
  if (last === null) return;
  const text = decodeLine(last.bytes, last.lineNo);
  // A file that ends in a lone CR has no last line.
  if (text.length > 0) yield { lineNo: last.lineNo, text, byteStart: last.byteStart };
}
