/**
 * JSONL inspection for the fake upstreams: splits a byte stream into lines as it flows (memory
 * bounded by the longest line) and remembers what tests and batch runs need about each file.
 */
import { createReadStream } from 'node:fs';

export interface ParsedLine {
  /** 1-based line number in the file (blank lines counted). */
  readonly number: number;
  /** The parsed JSON, or undefined when the line is not JSON. */
  readonly json: unknown;
}

/** Splits chunks on `\n` and parses each non-blank line; call `end()` after the last chunk. */
export class LineScanner {
  private rest: Buffer = Buffer.alloc(0);
  private number = 0;

  constructor(private readonly onLine: (line: ParsedLine) => void) {}

  push(chunk: Buffer): void {
    let data = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    let newline = data.indexOf(0x0a);
    while (newline !== -1) {
      this.emit(data.subarray(0, newline));
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    // Copy so the remainder does not pin the whole (possibly large) chunk.
    this.rest = Buffer.from(data);
  }

  end(): void {
    if (this.rest.length > 0) this.emit(this.rest);
    this.rest = Buffer.alloc(0);
  }

  private emit(raw: Buffer): void {
    this.number += 1;
    const text = raw.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    this.onLine({ number: this.number, json });
  }
}

/** What the fake records about every stored file while its bytes stream in. */
export interface LineStats {
  lineCount: number;
  invalidLines: number[];
  models: Set<string>;
  urls: Set<string>;
}

export const emptyLineStats = (): LineStats => ({ lineCount: 0, invalidLines: [], models: new Set(), urls: new Set() });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Adds one line to the stats: its `body.model` and `url` if it is a batch request line. */
export const recordLine = (stats: LineStats, line: ParsedLine): void => {
  stats.lineCount += 1;
  if (!isObject(line.json)) {
    stats.invalidLines.push(line.number);
    return;
  }
  const { body, url } = line.json;
  if (isObject(body) && typeof body['model'] === 'string') stats.models.add(body['model']);
  if (typeof url === 'string') stats.urls.add(url);
};

/** Reads a stored file line by line. */
export async function* readLines(path: string): AsyncGenerator<ParsedLine> {
  const pending: ParsedLine[] = [];
  const scanner = new LineScanner((line) => pending.push(line));
  for await (const chunk of createReadStream(path)) {
    scanner.push(chunk as Buffer);
    yield* pending.splice(0);
  }
  scanner.end();
  yield* pending.splice(0);
}
