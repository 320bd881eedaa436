/**
 * Bounds how deeply a batch line's JSON may nest, before it is parsed. `JSON.parse` is iterative
 * in V8, but `JSON.stringify`, structured clone and every recursive walk over the parsed value
 * (the rewrite of a managed upload, adapters' encoders) are not: a line of 5,000 nested arrays
 * parses, then overflows the stack later. Refusing it at validation keeps every later step safe.
 */

/**
 * The deepest nesting a batch line may have, counting the line's own object as level 1.
 * Real chat, embeddings and Responses bodies stay far below this: a chat body with a tool whose
 * parameters schema is itself nested a few levels reaches roughly 10 to 15. OpenAI's structured
 * outputs allow 5 levels of nesting in a JSON schema (tool schemas a little more), and each
 * schema level costs about two JSON levels (`properties` → field). 64 leaves ample room for any
 * request a model would accept while staying thousands of frames short of a stack overflow.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22; // "
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }

/**
 * Whether `text`, read as JSON, opens more than `max` arrays/objects at once. One pass with no
 * recursion and O(1) memory, a two-state machine: outside a string every `[`/`{` opens a level
 * and every `]`/`}` closes one; inside a string nothing counts, and a backslash escapes the next
 * character (so `"\"["` stays one string, and `"\\"` ends after the escaped backslash). Strings
 * are skipped with `indexOf` (the positions of the next quote and backslash are cached, so the
 * scan stays linear): the content of a line is mostly string text, and this keeps the scan near
 * `JSON.parse`'s own speed. Text that is not JSON is scanned the same way; whether it parses
 * is left to `JSON.parse`.
 */
export function nestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  // Next quote / backslash at or after the scan position; -1 once there is none left at all.
  let nextQuote = text.indexOf('"');
  let nextBackslash = text.indexOf('\\');
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // In a string: step from escape to escape until the first quote no backslash escapes.
      i += 1;
      for (;;) {
        if (nextQuote !== -1 && nextQuote < i) nextQuote = text.indexOf('"', i);
        if (nextQuote === -1) return false; // an unterminated string: JSON.parse refuses it
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf('\\', i);
        if (nextBackslash === -1 || nextBackslash > nextQuote) break;
        i = nextBackslash + 2; // the escaped character, whatever it is, never ends the string
      }
      i = nextQuote + 1;
      continue;
    }
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth += 1;
      if (depth > max) return true;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) {
      // Unbalanced closers make the text invalid JSON; they never buy extra depth later.
      depth -= 1;
    }
    i += 1;
  }
  return false;
}
