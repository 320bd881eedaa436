/**
 * Reads a Gemini operation (or a page of them) from a stream without holding its request or
 * response lists: a finished inline batch carries every answer in
 * `response.inlinedResponses.inlinedResponses[]` (and may echo every request in
 * `metadata.inputConfig.requests.requests[]`), tens of megabytes that a poll does not need. The
 * elements of those arrays are cut out as they stream by: the first answers array is yielded
 * element by element (each one's JSON text) when asked for, everything else is dropped, and what
 * remains (the operation with those arrays empty) is parsed and returned at the end. Memory holds
 * the skeleton and one element.
 */

/** Arrays cut out, by the key holding them and the key of the object holding that. */
const ANSWERS = 'inlinedResponses';
const REQUESTS = 'requests';

interface Frame {
  readonly array: boolean;
  /** Objects: the key whose value is being read; null before the first one. */
  key: string | null;
  expectKey: boolean;
}

export interface ScanLimits {
  /** Largest skeleton (the operation without its lists), in characters. */
  readonly skeletonChars: number;
  /** Largest single answer, in characters. */
  readonly elementChars: number;
}

export class ScanError extends Error {
  override readonly name = 'ScanError';
}

/**
 * Yields the JSON text of each element of the first `inlinedResponses.inlinedResponses` array
 * when `captureAnswers`, and returns the parsed skeleton.
 */
export async function* scanOperation(source: AsyncIterable<Buffer | string>, captureAnswers: boolean, limits: ScanLimits): AsyncGenerator<string, unknown> {
  const decoder = new TextDecoder('utf-8');
  const skeleton: string[] = [];
  let skeletonChars = 0;
  let element: string[] = [];
  let elementChars = 0;
  const stack: Frame[] = [];
  let inString = false;
  let escaped = false;
  let keyParts: string[] | null = null;
  /** Depth of the array being cut out, -1 when none; and whether its elements are kept. */
  let cutDepth = -1;
  let keep = false;
  let answersTaken = false;

  const toSink = (piece: string): void => {
    if (piece === '') return;
    if (cutDepth < 0) {
      skeletonChars += piece.length;
      if (skeletonChars > limits.skeletonChars) throw new ScanError(`an operation larger than ${limits.skeletonChars} characters besides its lists`);
      skeleton.push(piece);
    } else if (keep) {
      elementChars += piece.length;
      if (elementChars > limits.elementChars) throw new ScanError(`an inline answer larger than ${limits.elementChars} characters`);
      element.push(piece);
    }
  };
  const takeElement = (): string | null => {
    const text = element.join('').trim();
    element = [];
    elementChars = 0;
    return keep && text !== '' ? text : null;
  };

  const chunks = async function* (): AsyncGenerator<string> {
    for await (const chunk of source) yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield decoder.decode();
  };

  for await (const text of chunks()) {
    let start = 0;
    let keyStart = 0;
    let backslashAt = -2;
    let quoteAt = -2;
    for (let i = 0; i < text.length; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        // Strings are most of the bytes: jump to the next quote or backslash.
        if (backslashAt < i && backslashAt !== -1) backslashAt = text.indexOf('\\', i);
        if (quoteAt < i && quoteAt !== -1) quoteAt = text.indexOf('"', i);
        if (backslashAt !== -1 && (quoteAt === -1 || backslashAt < quoteAt)) {
          i = backslashAt;
          escaped = true;
          continue;
        }
        if (quoteAt === -1) break;
        i = quoteAt;
        inString = false;
        if (keyParts !== null) {
          const top = stack[stack.length - 1];
          if (top !== undefined) top.key = keyParts.join('') + text.slice(keyStart, i);
          keyParts = null;
        }
        continue;
      }
      const ch = text[i];
      const top = stack[stack.length - 1];
      if (ch === '"') {
        inString = true;
        if (top !== undefined && !top.array && top.expectKey) {
          keyParts = [];
          keyStart = i + 1;
        }
      } else if (ch === '{') {
        stack.push({ array: false, key: null, expectKey: true });
      } else if (ch === '[') {
        const parent = stack[stack.length - 2];
        const inner = top !== undefined && !top.array ? top.key : null;
        const cut = cutDepth < 0 && inner !== null && (inner === ANSWERS || inner === REQUESTS) && parent?.key === inner;
        stack.push({ array: true, key: null, expectKey: false });
        if (cut) {
          toSink(text.slice(start, i + 1));
          start = i + 1;
          cutDepth = stack.length;
          keep = captureAnswers && inner === ANSWERS && !answersTaken;
          if (inner === ANSWERS) answersTaken = true;
        }
      } else if (ch === ',' && stack.length === cutDepth) {
        toSink(text.slice(start, i));
        start = i + 1;
        const done = takeElement();
        if (done !== null) yield done;
      } else if (ch === ']' && stack.length === cutDepth) {
        toSink(text.slice(start, i));
        start = i;
        const done = takeElement();
        stack.pop();
        cutDepth = -1;
        keep = false;
        if (done !== null) yield done;
      } else if (ch === '}' || ch === ']') {
        stack.pop();
      } else if (ch === ',' && top !== undefined && !top.array) {
        top.expectKey = true;
      } else if (ch === ':' && top !== undefined && !top.array) {
        top.expectKey = false;
      }
    }
    if (keyParts !== null) keyParts.push(text.slice(keyStart));
    toSink(text.slice(start));
  }
  const whole = skeleton.join('');
  if (whole.trim() === '') return null;
  try {
    return JSON.parse(whole) as unknown;
  } catch {
    throw new ScanError('an operation that is not JSON');
  }
}
