/**
 * Property tests of the multipart receiver (issue 7): whatever body a client sends, cut wherever
 * the network cuts it, ended or reset at any byte, `receiveUpload` settles (never hangs) with an
 * upload or a typed GatewayError, nothing escapes as an unhandled rejection or uncaught exception,
 * and no spool file outlives a rejection or `dispose()`. Valid bodies round-trip exactly: the
 * spooled bytes are the bytes sent and the fields are the fields sent, for every chunking.
 */
import { readdir, rm } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import {
  bodyOf,
  contentTypeOf,
  describeError,
  encodeForm,
  escaped,
  expectedFields,
  formArb,
  freshSpool,
  HANG_MS,
  installEscapeTraps,
  receive,
  settleTicks,
} from './multipart-support.js';
import { chunk, cutsArb } from './support.js';

installEscapeTraps();

// --- properties --------------------------------------------------------------------------------

describe('receiveUpload', () => {
  it('valid multipart bodies round-trip exactly: spooled bytes, filename and fields, for every chunking', async () => {
    await fc.assert(
      fc.asyncProperty(formArb, cutsArb, fc.nat(3), async (form, cuts, slack) => {
        const { body, unambiguous } = encodeForm(form);
        fc.pre(unambiguous);
        const spoolDir = await freshSpool();
        // maxFileBytes from exactly the file's size upwards: a file of exactly the maximum is accepted.
        const outcome = await receive(bodyOf(chunk(body, cuts), false), contentTypeOf(form.boundary, form.quoted), spoolDir, form.content.length + slack);
        if (outcome.kind !== 'resolved') {
          throw new Error(outcome.kind === 'hung' ? 'receiveUpload hung' : `rejected: ${describeError(outcome.error)}`);
        }
        const { upload } = outcome;
        expect(upload.fields).toEqual(expectedFields(form));
        expect(upload.file).not.toBeNull();
        // busboy keeps only a filename's last path segment; '.' and '..' leave none ('upload').
        expect(upload.file?.filename).toBe(form.filename === '.' || form.filename === '..' ? 'upload' : form.filename);
        expect(upload.file?.bytes).toBe(form.content.length);
        const spooled: Buffer[] = [];
        for await (const c of upload.file?.open() ?? []) spooled.push(c as Buffer);
        expect(Buffer.concat(spooled).equals(form.content)).toBe(true);
        await upload.dispose();
        expect(await readdir(spoolDir)).toEqual([]);
        await rm(spoolDir, { recursive: true, force: true });
      }),
      { numRuns: 120 },
    );
  });

  /** Hostile bodies: valid ones damaged, random bytes, wrong framing, several files, oversize. */
  const hostileArb = fc.record({
    form: formArb,
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        edit: fc.constantFrom('truncate', 'truncate-in-file', 'truncate-in-file', 'flip', 'insert', 'delete'),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
      { maxLength: 3 },
    ),
    extraFile: fc.constantFrom(null, 'file', 'other'),
    random: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) }),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('right' as const) },
      { weight: 1, arbitrary: fc.constantFrom('other-boundary' as const, 'no-boundary' as const, 'empty-boundary' as const, 'garbage' as const) },
    ),
    reset: fc.boolean(),
    maxFileBytes: fc.oneof({ weight: 3, arbitrary: fc.constant(1_000_000) }, { weight: 1, arbitrary: fc.nat(64) }),
    cuts: cutsArb,
  });

  type Hostile = typeof hostileArb extends fc.Arbitrary<infer T> ? T : never;
  const hostileBody = (h: Hostile): { body: Buffer; contentType: string } => {
    let { body } = encodeForm(h.form);
    const [fileStart, fileEnd] = encodeForm(h.form).fileAt;
    if (h.extraFile !== null) {
      // A second file part spliced in before the closing delimiter.
      const close = Buffer.from(`\r\n--${h.form.boundary}--`);
      const at = body.lastIndexOf(close);
      const extra = Buffer.from(`\r\n--${h.form.boundary}\r\nContent-Disposition: form-data; name="${h.extraFile}"; filename="b.jsonl"\r\n\r\nsecond`);
      if (at !== -1) body = Buffer.concat([body.subarray(0, at), extra, body.subarray(at)]);
    }
    if (h.random !== null) body = Buffer.from(h.random);
    for (const { at, edit, bytes } of h.edits) {
      const i = at % (body.length + 1);
      if (edit === 'truncate') body = body.subarray(0, i);
      // Cut while the file part streams to disk: the case that used to leave its write unobserved.
      else if (edit === 'truncate-in-file') body = body.subarray(0, Math.min(body.length, fileStart + (at % (fileEnd - fileStart + 1))));
      else if (edit === 'flip' && i < body.length) body = Buffer.concat([body.subarray(0, i), Buffer.from([(body[i] ?? 0) ^ 0xff]), body.subarray(i + 1)]);
      else if (edit === 'insert') body = Buffer.concat([body.subarray(0, i), Buffer.from(bytes), body.subarray(i)]);
      else if (edit === 'delete') body = Buffer.concat([body.subarray(0, i), body.subarray(i + bytes.length)]);
    }
    const contentType = {
      right: contentTypeOf(h.form.boundary, h.form.quoted),
      'other-boundary': contentTypeOf(`${h.form.boundary}x`, true),
      'no-boundary': 'multipart/form-data',
      'empty-boundary': 'multipart/form-data; boundary=',
      garbage: 'multipart/form-data; boundary="unterminated',
    }[h.contentType];
    return { body, contentType };
  };

  it('a file that begins with its own boundary, fed a byte at a time, is a 400, not a hang (found by this property)', async () => {
    // After the part headers' CRLF, the content "--b-" forms the delimiter "\r\n--b-": busboy then
    // stops making progress without ever erroring, although the whole body has arrived.
    const boundary = 'b-';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="-"\r\n\r\n`),
      Buffer.from('--b-\r\n--b'),
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}--\r\n`),
    ]);
    const spoolDir = await freshSpool();
    const outcome = await receive(bodyOf([...body].map((b) => Buffer.from([b])), false), contentTypeOf(boundary, false), spoolDir, 1000);
    expect(outcome.kind).toBe('rejected');
    if (outcome.kind === 'rejected') expect((outcome.error as GatewayError).status).toBe(400);
    expect(await readdir(spoolDir)).toEqual([]);
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('arbitrary bodies, chunkings, truncations and resets: resolves or rejects with a GatewayError, never hangs, never leaves a spool file', async () => {
    await fc.assert(
      fc.asyncProperty(hostileArb, async (h) => {
        const { body, contentType } = hostileBody(h);
        const spoolDir = await freshSpool();
        // Only what escapes during this run counts against it (shrinking reruns after a failure).
        const escapedBefore = escaped.length;
        const outcome = await receive(bodyOf(chunk(body, h.cuts), h.reset), contentType, spoolDir, h.maxFileBytes);
        if (outcome.kind === 'hung') throw new Error(`receiveUpload did not settle within ${HANG_MS} ms`);
        if (outcome.kind === 'rejected') {
          if (!(outcome.error instanceof GatewayError)) throw new Error(`rejected with a non-GatewayError: ${describeError(outcome.error)}`);
          expect(outcome.error.status).toBeGreaterThanOrEqual(400);
          expect(outcome.error.status).toBeLessThan(500);
          expect(await readdir(spoolDir), 'spool file left right after the rejection').toEqual([]);
        } else {
          // Resolved: whatever it holds, dispose() must leave nothing behind.
          await outcome.upload.dispose();
          expect(await readdir(spoolDir), 'spool file left after dispose()').toEqual([]);
        }
        // Something still running may reject, or reopen the spool file, a moment later.
        await settleTicks();
        expect(escaped.slice(escapedBefore), 'escaped as unhandled rejection / uncaught exception').toEqual([]);
        expect(await readdir(spoolDir), 'spool file reappeared after the upload settled').toEqual([]);
        await rm(spoolDir, { recursive: true, force: true });
      }),
      // On a loaded machine the runs are cut short after 40 s rather than failing for being slow;
      // a counterexample found by then still fails (and shrinks within the same bound).
      { numRuns: 250, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false },
    );
  }, 60_000);
});
