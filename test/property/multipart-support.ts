/**
 * Shared by the multipart property tests: traps for anything that escapes the receiver's promise,
 * a bounded `receive`, and generators of valid multipart bodies (arbitrary boundaries, fields
 * before and after the file, file bytes full of CRLF, `--` and boundary lookalikes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { receiveUpload, type ReceivedUpload } from '../../src/http/multipart-upload.js';

// --- traps: anything that escapes the promise fails the test ---------------------------------

/** Everything that escaped, tagged with how: either would take the gateway process down. */
export const escaped: string[] = [];
const firstLine = (err: unknown): string => (err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err));
const onUnhandled = (reason: unknown): void => {
  escaped.push(`unhandledRejection: ${firstLine(reason)}`);
};
const onUncaught = (err: unknown): void => {
  escaped.push(`uncaughtException: ${firstLine(err)}`);
};

let root = '';
/**
 * Registers the traps for the calling test file: every unhandled rejection and uncaught exception
 * is recorded (either would take the gateway process down) and fails the test it happened in.
 */
export const installEscapeTraps = (): void => {
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
    root = await mkdtemp(join(tmpdir(), 'batchgate-multipart-prop-'));
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    escaped.length = 0;
  });
  afterEach(() => {
    expect(escaped, 'unhandled rejections / uncaught exceptions during the test').toEqual([]);
  });
};

export const HANG_MS = 3_000;
/** A pause long enough for a late rejection or a late file open to show itself. */
export const settleTicks = () => new Promise((resolve) => setTimeout(resolve, 5));

export type Outcome = { kind: 'resolved'; upload: ReceivedUpload } | { kind: 'rejected'; error: unknown } | { kind: 'hung' };

export const receive = async (body: Readable, contentType: string, spoolDir: string, maxFileBytes: number): Promise<Outcome> => {
  // Built as a variable, not a literal, so the options fit both the receiver's current shape and
  // the one being hardened alongside (which adds an idle timeout). The idle timeout is longer than
  // the hang bound: a body that has ended must settle by itself, not by a stall timer.
  const options = { spoolDir, maxFileBytes, idleTimeoutMs: 30_000 };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), HANG_MS);
  });
  const settled = receiveUpload(body, { 'content-type': contentType }, options).then(
    (upload): Outcome => ({ kind: 'resolved', upload }),
    (error: unknown): Outcome => ({ kind: 'rejected', error }),
  );
  try {
    return await Promise.race([settled, hung]);
  } finally {
    clearTimeout(timer);
  }
};

/** A request body: the chunks, then either a clean end or a reset (ECONNRESET, as a client leaving). */
export const bodyOf = (chunks: readonly Buffer[], reset: boolean): Readable =>
  Readable.from(
    (async function* () {
      for (const c of chunks) yield c;
      if (reset) throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })(),
  );

export const describeError = (err: unknown): string =>
  err instanceof Error ? `${err.constructor.name}: ${err.message}${err.stack ? `\n${err.stack}` : ''}` : String(err);

// --- generators --------------------------------------------------------------------------------

const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";
/** RFC 2046 boundaries: 1 to 70 bchars, not ending in a space. */
export const boundaryArb = fc
  .oneof(
    fc.string({ unit: fc.constantFrom(...BCHARS), minLength: 1, maxLength: 70 }),
    fc.string({ unit: fc.constantFrom('-', 'a', 'b'), minLength: 1, maxLength: 6 }),
    fc.constantFrom('x', 'xx', '-', '--', '----WebKitFormBoundary7MA4YWxkTrZu0gW', 'formdata-undici-0.123456789'),
  )
  .filter((b) => !b.endsWith(' '));

export const contentTypeOf = (boundary: string, quoted: boolean): string =>
  quoted || /[^0-9A-Za-z'+_.-]/.test(boundary)
    ? `multipart/form-data; boundary="${boundary}"`
    : `multipart/form-data; boundary=${boundary}`;

/** Bytes that look like the multipart framing around them: CRLF, `--`, a boundary almost. */
export const lookalikeBytes = (boundary: string): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)) },
        {
          weight: 4,
          arbitrary: fc
            .constantFrom(
              '\r\n',
              '\r',
              '\n',
              '--',
              '\r\n--',
              `--${boundary}`,
              `\r\n--${boundary.slice(0, -1)}`,
              `\r\n-${boundary}`,
              `\r\n--${boundary.slice(1)}`,
              `\n--${boundary}`,
              `\r--${boundary}--`,
              `${boundary}--\r\n`,
              'Content-Disposition: form-data; name="file"; filename="x"\r\n\r\n',
              '\r\n\r\n',
              'é😀',
            )
            .map((s) => Buffer.from(s, 'utf8')),
        },
      ),
      { maxLength: 12 },
    )
    .map((parts) => Buffer.concat(parts));

const NAME = /^[a-z_][a-z0-9_]{0,11}$/;
export const fieldArb = fc.record({
  name: fc.oneof(fc.constantFrom('purpose', 'expires_after[anchor]', 'target_model_names', 'file', 'x'), fc.stringMatching(NAME)),
  value: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.constantFrom('\r\n', '--', 'a', 'é', '😀', '"'), maxLength: 20 })),
});

export interface Form {
  readonly boundary: string;
  readonly quoted: boolean;
  readonly preamble: Buffer;
  readonly before: readonly { name: string; value: string }[];
  readonly after: readonly { name: string; value: string }[];
  readonly filename: string;
  readonly content: Buffer;
  readonly epilogue: Buffer;
}

export const formArb: fc.Arbitrary<Form> = boundaryArb.chain((boundary) =>
  fc.record({
    boundary: fc.constant(boundary),
    quoted: fc.boolean(),
    preamble: fc.oneof({ weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: lookalikeBytes(boundary).map((b) => Buffer.from(b)) }),
    before: fc.array(fieldArb, { maxLength: 3 }),
    after: fc.array(fieldArb, { maxLength: 3 }),
    purposeFirst: fc.boolean(),
    filename: fc.oneof(fc.constantFrom('input.jsonl', 'données😀.jsonl', 'a b.txt'), fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/)),
    content: fc.oneof(
      { weight: 3, arbitrary: lookalikeBytes(boundary).map((b) => Buffer.from(b)) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 1000 }).map((b) => Buffer.from(b)) },
    ),
    epilogue: fc.oneof({ weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: lookalikeBytes(boundary).map((b) => Buffer.from(b)) }),
  }).map(({ purposeFirst, before, after, ...rest }) => {
    const purpose = { name: 'purpose', value: 'batch' };
    return { ...rest, before: purposeFirst ? [purpose, ...before] : before, after: purposeFirst ? after : [...after, purpose] };
  }),
);

/**
 * The body of `form`, and whether it is unambiguous: the delimiter `CRLF--boundary` must occur
 * exactly where the framing puts it (RFC 2046 forbids it inside a part; a real client picks a
 * boundary its content does not contain). Ambiguous forms are discarded, not "fixed".
 */
export const encodeForm = (form: Form): { body: Buffer; unambiguous: boolean; fileAt: readonly [number, number] } => {
  const b = form.boundary;
  const pieces: Buffer[] = [];
  const delimiterAt: number[] = [];
  let length = 0;
  const push = (buf: Buffer): void => {
    pieces.push(buf);
    length += buf.length;
  };
  const delimiter = (close: boolean): void => {
    // The first delimiter may open the body with no CRLF before it (and no preamble).
    const crlf = length > 0 || form.preamble.length > 0;
    if (form.preamble.length > 0 && length === 0) push(form.preamble);
    if (crlf) delimiterAt.push(length);
    push(Buffer.from(`${crlf ? '\r\n' : ''}--${b}${close ? '--' : ''}\r\n`));
  };
  const field = ({ name, value }: { name: string; value: string }): void => {
    delimiter(false);
    push(Buffer.from(`Content-Disposition: form-data; name="${name}"\r\n\r\n`));
    push(Buffer.from(value, 'utf8'));
  };
  form.before.forEach(field);
  delimiter(false);
  push(Buffer.from(`Content-Disposition: form-data; name="file"; filename="${form.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'));
  const fileStart = length;
  push(form.content);
  const fileAt = [fileStart, length] as const;
  form.after.forEach(field);
  delimiter(true);
  push(form.epilogue);
  const body = Buffer.concat(pieces);
  const needle = Buffer.from(`\r\n--${b}`);
  const found: number[] = [];
  for (let at = body.indexOf(needle); at !== -1; at = body.indexOf(needle, at + 1)) found.push(at);
  // A preamble must not itself open with `--boundary` (that would be the first delimiter).
  const opensClean = form.preamble.length === 0 || !form.preamble.subarray(0, b.length + 2).equals(Buffer.from(`--${b}`));
  const unambiguous = opensClean && found.length === delimiterAt.length && found.every((at, i) => at === delimiterAt[i]);
  return { body, unambiguous, fileAt };
};

export const expectedFields = (form: Form): Map<string, string[]> => {
  const map = new Map<string, string[]>();
  for (const { name, value } of [...form.before, ...form.after]) map.set(name, [...(map.get(name) ?? []), value]);
  return map;
};

export const freshSpool = () => mkdtemp(join(root, 'spool-'));
