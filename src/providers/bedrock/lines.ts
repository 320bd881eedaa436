/**
 * Splits an object's bytes into lines, holding only the current one (output records echo their
 * input, so a line may be large, but a file is never held whole). Blank lines are skipped.
 */
const NEWLINE = 0x0a;

export async function* jsonLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  const text = (parts: Buffer[]): string => Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    let at = chunk.indexOf(NEWLINE, start);
    while (at !== -1) {
      pending.push(chunk.subarray(start, at));
      const line = text(pending);
      pending = [];
      if (line.trim() !== '') yield line;
      start = at + 1;
      at = chunk.indexOf(NEWLINE, start);
    }
    // Copied: the source may reuse its buffer for the next chunk.
    if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
  }
  const last = text(pending);
  if (last.trim() !== '') yield last;
}
