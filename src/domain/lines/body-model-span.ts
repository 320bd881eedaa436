/**
 * Where a batch line's `body.model` string sits in its text, found by scanning rather than
 * parsing: rewriting the model of every line of a managed upload was `JSON.parse` and
 * `JSON.stringify` of the whole line once per copy, the largest single cost of a big upload
 * (bench/RESULTS.md, uploads). Splicing the new value into the original text gives the same JSON
 * value with none of that work, and leaves the rest of the line exactly as the client wrote it.
 *
 * Keys are compared as a parser reads them (`"bo\u0064y"` is `body`). Only the unambiguous case
 * is answered; anything else returns null and the caller parses: `body` or `body.model` appearing
 * twice (a parser keeps the last), `body` not an object, `body.model` absent or not a string, or
 * text that is not what a validated line looks like.
 */

export interface Span {
  /** Index of the value's opening quote. */
  readonly start: number;
  /** Index just past its closing quote. */
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

/** A key written with escapes, as a parser reads it; null if the escapes are not valid JSON. */
const unescaped = (raw: string): string | null => {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return null;
  }
};

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  /** At an opening quote: moves past the closing one; false if the string is unterminated. */
  string(): boolean {
    const open = this.pos;
    let at = open + 1;
    for (;;) {
      const close = this.text.indexOf('"', at);
      if (close === -1) return false;
      // A quote preceded by an odd number of backslashes is escaped, part of the string.
      let slashes = 0;
      for (let i = close - 1; i > open && this.text.charCodeAt(i) === BACKSLASH; i--) slashes++;
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
      while (this.pos < this.text.length) {
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
    while (this.pos < this.text.length) {
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
      const raw = this.text.slice(keyStart, this.pos - 1);
      const key = raw.includes('\\') ? unescaped(raw) : raw;
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

/** The span of `body.model`'s string value in a batch line, or null when a parser must decide. */
export function bodyModelSpan(text: string): Span | null {
  const s = new Scanner(text);
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
  if (s.pos !== text.length) return null;
  return bodies === 1 && models === 1 ? span : null;
}
