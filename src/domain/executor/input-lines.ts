/**
 * Reads an executed batch's input blob line by line, knowing where each line starts in bytes, so
 * a chunk can later be read from its first byte instead of from the top of the file. Memory is
 * bounded by the longest line. Blank lines are skipped (they are not requests), but counted in
 * `lineNo`, which is what a client sees in its editor.
 */
const NEWLINE = 0x0a;
const UTF8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

export interface InputLine {
  /** 1-based physical line number in the file (when read from its start). */
  readonly lineNo: number;
  /** Byte offset of the line's first byte. */
  readonly byteStart: number;
  readonly text: string;
}

export async function* inputLines(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<InputLine> {
  let pending: Buffer[] = [];
  let lineStart = byteStart;
  let offset = byteStart;
  let lineNo = 0;
  const take = (): InputLine | null => {
    lineNo += 1;
    let text = UTF8.decode(Buffer.concat(pending));
    pending = [];
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text.trim() === '' ? null : { lineNo, byteStart: lineStart, text };
  };
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    let at = chunk.indexOf(NEWLINE, start);
    while (at !== -1) {
      pending.push(chunk.subarray(start, at));
      const line = take();
      if (line !== null) yield line;
      lineStart = offset + at + 1;
      start = at + 1;
      at = chunk.indexOf(NEWLINE, start);
    }
    // Copy the tail: the source may reuse its buffer once we ask for the next chunk.
    if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    offset += chunk.length;
  }
  if (pending.length > 0) {
    const line = take();
    if (line !== null) yield line;
  }
}
