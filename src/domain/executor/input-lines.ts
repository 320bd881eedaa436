/**
 * The requests of an executed batch's input blob, each with the byte its line starts at, so a
 * chunk can later be read from its first byte instead of from the top of the file. Blank lines
 * are not requests and are skipped; `lineNo` still counts them, as a client's editor does.
 */
import { splitLines, type Line } from '../lines/split-lines.js';

export type InputLine = Line;

export async function* inputLines(source: AsyncIterable<Uint8Array | string>, byteStart = 0): AsyncGenerator<InputLine> {
  for await (const line of splitLines(source, byteStart)) if (line.text.trim() !== '') yield line;
}
