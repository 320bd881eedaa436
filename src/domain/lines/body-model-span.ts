/**
 * Where a batch line's `body.model` string sits in its bytes, found by scanning rather than
 * parsing (JSON's structural characters are ASCII, so UTF-8 bytes scan as text would): rewriting
 * the model of every line of a managed upload was `JSON.parse` and
 * `JSON.stringify` of the whole line once per copy, the largest single cost of a big upload
 * (bench/RESULTS.md, uploads). Splicing the new value into the original bytes gives the same JSON
 * value with none of that work (not even decoding the line), and leaves the rest of the line
 * exactly as the client wrote it.
 *
 * Keys are compared as a parser reads them (`"bo\u0064y"` is `body`). Only the unambiguous case
 * is answered; anything else returns null and the caller parses: `body` or `body.model` appearing
 * twice (a parser keeps the last), `body` not an object, `body.model` absent or not a string, or
 * text that is not what a validated line looks like.
 */

export interface Span {
  /** Offset of the value's opening quote. */
  readonly start: number;
  /** Offset just past its closing quote. */
  readonly end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A key as a parser reads it (escapes resolved); null if its escapes are not valid JSON. */
const keyOf = (bytes: Buffer, start: number, end: number): string | null => {
  // Keys without a backslash compare as they are: only ASCII bytes can spell `body` or `model`.
  const backslash = bytes.indexOf(BACKSLASH, start);
  if (backslash === -1 || backslash >= end) return bytes.toString('latin1', start, end);
  try {
    return JSON.parse(`"${bytes.toString('utf8', start, end)}"`) as string;
  } catch {
    return null;
  }
};

class Scanner {
  pos = 0;
  constructor(readonly bytes: Buffer) {}

  skipSpace(): void {
    while (this.pos < this.bytes.length && isSpace(this.bytes[this.pos]!)) this.pos++;
  }

  /** The byte at the current position; NaN past the end, which matches nothing. */
  peek(): number {
    return this.pos < this.bytes.length ? this.bytes[this.pos]! : Number.NaN;
  }

  /** At an opening quote: moves past the closing one; false if the string is unterminated. */
  string(): boolean {
    const open = this.pos;
    let at = open + 1;
    for (;;) {
      const close = this.bytes.indexOf(QUOTE, at);
      if (close === -1) return false;
      // A quote preceded by an odd number of backslashes is escaped, part of the string.
      let slashes = 0;
      for (let i = close - 1; i > open && this.bytes[i] === BACKSLASH; i--) slashes++;
      if (slashes % 2 === 0) {
        this.pos = close + 1;
        return true;
      }
      at = close + 1;
    }
  }

  /** Moves past one value of any kind; false when the text is not what was expected. */
  value(): boolean {
    const c = this.peek();
    if (c === QUOTE) return this.string();
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      let depth = 0;
      while (this.pos < this.bytes.length) {
        const d = this.peek();
        if (d === QUOTE) {
          if (!this.string()) return false;
          continue;
        }
        if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
        else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            this.pos++;
            return true;
          }
        }
        this.pos++;
      }
      return false;
    }
    // A number, true, false or null: up to the next delimiter.
    const begin = this.pos;
    while (this.pos < this.bytes.length) {
      const d = this.peek();
      if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
      this.pos++;
    }
    return this.pos > begin;
  }

  /**
   * At an opening brace: visits each member, calling `onMember(key)` with the key as a parser
   * reads it and the position at the member's value; `onMember` moves past the value itself.
   * False on unexpected text.
   */
  object(onMember: (key: string) => boolean): boolean {
    if (this.peek() !== OPEN_BRACE) return false;
    this.pos++;
    this.skipSpace();
    if (this.peek() === CLOSE_BRACE) {
      this.pos++;
      return true;
    }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== QUOTE) return false;
      const keyStart = this.pos + 1;
      if (!this.string()) return false;
      const key = keyOf(this.bytes, keyStart, this.pos - 1);
      if (key === null) return false;
      this.skipSpace();
      if (this.peek() !== COLON) return false;
      this.pos++;
      this.skipSpace();
      if (!onMember(key)) return false;
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c === CLOSE_BRACE) return true;
      if (c !== COMMA) return false;
    }
  }
}

/** The span of `body.model`'s string value in a batch line's bytes, or null when a parser must decide. */
export function bodyModelSpan(bytes: Buffer): Span | null {
  const s = new Scanner(bytes);
  s.skipSpace();
  let bodies = 0;
  let span: Span | null = null;
  let models = 0;
  const inBody = (key: string): boolean => {
    if (key !== 'model') return s.value();
    models++;
    if (s.peek() !== QUOTE) return false;
    const start = s.pos;
    if (!s.string()) return false;
    span = { start, end: s.pos };
    return true;
  };
  const topLevel = (key: string): boolean => {
    if (key !== 'body') return s.value();
    bodies++;
    return s.object(inBody);
  };
  if (!s.object(topLevel)) return null;
  s.skipSpace();
  if (s.pos !== bytes.length) return null;
  return bodies === 1 && models === 1 ? span : null;
}
