/**
 * JSONL read a line at a time from any byte stream (a local file, a download), so neither an
 * input nor a results file is ever held whole in memory: only the current line is.
 */
import { StringDecoder } from 'node:string_decoder';

/** Each line of the stream, without its line ending; a last line without one is still yielded. */
export async function* linesOf(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (!pending.includes('\n')) continue;
    const lines = pending.split('\n');
    // The last piece is a line still arriving (or '' after a final newline).
    pending = lines.pop() ?? '';
    for (const line of lines) yield line.replace(/\r$/, '');
  }
  pending += decoder.end();
  if (pending !== '') yield pending.replace(/\r$/, '');
}

/** A line's `custom_id`, or null when the line is blank, not JSON, or has none. */
export function customIdOf(line: string): string | null {
  if (line.trim() === '') return null;
  try {
    const parsed = JSON.parse(line) as { custom_id?: unknown };
    return typeof parsed.custom_id === 'string' ? parsed.custom_id : null;
  } catch {
    return null;
  }
}
