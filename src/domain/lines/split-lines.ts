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

const NEWLINE = 0x0a;
/** Strict: invalid sequences throw instead of becoming U+FFFD; a BOM is kept (and dropped below). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_BOM = '\uFEFF';

/** `byteStart`: where `source` starts in the file, when it was opened past its first byte. */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let lineNo = 0;
  let offset = byteStart;
  let lineStart = byteStart;
  const decode = (parts: Buffer[]): string => {
    let text: string;
    try {
      text = UTF8.decode(Buffer.concat(parts));
    } catch {
      // JSON text is UTF-8 (RFC 8259); a lenient decode would validate U+FFFD while the raw bytes
      // went upstream.
      throw new GatewayError('invalid_json_line', `Line ${lineNo}: the line is not valid UTF-8. The file was not stored.`);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    // A UTF-8 BOM on the first line is dropped: Azure rejects it, and it is never content.
    if (lineNo === 1 && text.startsWith(UTF8_BOM)) text = text.slice(1);
    return text;
  };
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    let at = chunk.indexOf(NEWLINE, start);
    while (at !== -1) {
      pending.push(chunk.subarray(start, at));
      lineNo += 1;
      yield { lineNo, text: decode(pending), byteStart: lineStart };
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
    const text = decode(pending);
    if (text.length > 0) yield { lineNo, text, byteStart: lineStart };
  }
}
