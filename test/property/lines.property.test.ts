/**
 * Property tests of the JSONL line splitter and the batch-file validator: whatever bytes arrive,
 * cut wherever, nothing but a typed GatewayError (a 4xx) escapes; valid files round-trip line by
 * line, byte for byte, however they are chunked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_ENDPOINTS } from '../../src/contracts/openai.js';
import { BatchFileInspector, type InspectorOptions } from '../../src/domain/lines/batch-file-inspector.js';
import { type Line, splitLines } from '../../src/domain/lines/split-lines.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { bytesArb, chunk, cutsArb, plainSource, reusingSource } from './support.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const collect = async (source: AsyncIterable<Uint8Array>): Promise<Line[]> => {
  const out: Line[] = [];
  for await (const line of splitLines(source)) out.push(line);
  return out;
};

/**
 * What the splitter must yield for `bytes`, computed on the whole buffer at once: the lines, up
 * to the first one that is not valid UTF-8 (`badLine`), where it stops with a typed error.
 */
const referenceSplit = (bytes: Buffer): { lines: Line[]; badLine: number | null } => {
  const segments: Array<{ raw: Buffer; byteStart: number }> = [];
  let start = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, start)) {
    segments.push({ raw: bytes.subarray(start, at), byteStart: start });
    start = at + 1;
  }
  const tail = bytes.subarray(start);
  const lines = segments.map((s, i) => ({ lineNo: i + 1, ...s }));
  if (tail.length > 0) lines.push({ lineNo: segments.length + 1, raw: tail, byteStart: start });
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const bad = lines.find(({ raw }) => {
    try {
      strict.decode(raw);
      return false;
    } catch {
      return true;
    }
  });
  const decoded = lines
    .filter(({ lineNo }) => bad === undefined || lineNo < bad.lineNo)
    .map(({ lineNo, raw, byteStart }) => {
      let text = raw.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (lineNo === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
      return { lineNo, text, byteStart };
    })
    .filter((l, i, all) => bad !== undefined || !(i === all.length - 1 && tail.length > 0 && l.text.length === 0));
  return { lines: decoded, badLine: bad?.lineNo ?? null };
};

const optionsArb: fc.Arbitrary<InspectorOptions> = fc
  .record({
    maxLines: fc.integer({ min: 1, max: 30 }),
    allowed: fc.option(fc.subarray(['m1', 'm2', 'gpt-4o', 'é'])),
    requireModel: fc.boolean(),
    forbidden: fc.option(fc.constantFrom('m1', 'm2', 'gpt-4o')),
  })
  .map(({ maxLines, allowed, requireModel, forbidden }) => ({
    maxLines,
    allowedModels: allowed === null ? null : new Set(allowed),
    requireModel,
    ...(forbidden === null
      ? {}
      : {
          checkModel: (model: string) => {
            if (model === forbidden) throw new GatewayError('model_access_denied', `no access to ${model}`);
          },
        }),
  }));

/** Runs the splitter and the inspector over a source; returns the error thrown, if any. */
const validate = async (source: AsyncIterable<Uint8Array>, options: InspectorOptions): Promise<unknown> => {
  const inspector = new BatchFileInspector(options);
  try {
    for await (const line of splitLines(source)) inspector.inspect(line);
    inspector.result();
    return null;
  } catch (err) {
    return err;
  }
};

const expectTyped4xx = (err: unknown): void => {
  if (err === null) return;
  if (!(err instanceof GatewayError)) throw new Error(`escaped the typed error path: ${String(err)}`, { cause: err });
  expect(err.status).toBeGreaterThanOrEqual(400);
  expect(err.status).toBeLessThan(500);
};

// --- valid JSONL -------------------------------------------------------------------------------

/** Text heavy in multi-byte characters (2, 3 and 4 UTF-8 bytes) and JSON's own special characters. */
const unicodeText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('é', '€', '😀', '中', '\u2028', '"', '\\', '\n', '\r', '{', ']', '\uFEFF', 'a'), maxLength: 30 }),
);

interface JsonlFile {
  readonly lines: readonly string[];
  readonly eols: readonly ('\n' | '\r\n')[];
  readonly bom: boolean;
  readonly trailingNewline: boolean;
  readonly url: string;
  readonly models: ReadonlySet<string>;
}

const jsonlArb: fc.Arbitrary<JsonlFile> = fc
  .record({
    ids: fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 }),
    url: fc.constantFrom(...BATCH_ENDPOINTS, '/chat/completions'),
    bom: fc.boolean(),
    trailingNewline: fc.boolean(),
    seed: fc.array(
      fc.record({
        model: fc.constantFrom('m1', 'gpt-4o', 'modèle-😀'),
        content: unicodeText,
        extra: fc.option(fc.jsonValue({ maxDepth: 3 })),
        blankBefore: fc.boolean(),
        crlf: fc.boolean(),
      }),
      { minLength: 12, maxLength: 12 },
    ),
  })
  .map(({ ids, url, bom, trailingNewline, seed }) => {
    const lines: string[] = [];
    const eols: ('\n' | '\r\n')[] = [];
    const models = new Set<string>();
    ids.forEach((id, i) => {
      const s = seed[i];
      if (s === undefined) return;
      // A blank line between requests (never the last line, which must carry a request).
      if (s.blankBefore && i > 0) {
        lines.push('');
        eols.push(s.crlf ? '\r\n' : '\n');
      }
      models.add(s.model);
      const body: Record<string, unknown> = { model: s.model, messages: [{ role: 'user', content: s.content }] };
      if (s.extra !== null) body.metadata = s.extra;
      lines.push(JSON.stringify({ custom_id: id, method: 'POST', url, body }));
      eols.push(s.crlf ? '\r\n' : '\n');
    });
    return { lines, eols, bom, trailingNewline, url, models };
  });

const encode = (f: JsonlFile): Buffer => {
  const parts: Buffer[] = f.bom ? [BOM] : [];
  f.lines.forEach((line, i) => {
    parts.push(Buffer.from(line, 'utf8'));
    if (i < f.lines.length - 1 || f.trailingNewline) parts.push(Buffer.from(f.eols[i] ?? '\n'));
  });
  return Buffer.concat(parts);
};

describe('splitLines', () => {
  it('valid JSONL: the lines are exactly the original lines, byte for byte, for every chunking', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlArb, cutsArb, fc.boolean(), async (file, cuts, reuse) => {
        const bytes = encode(file);
        const chunks = chunk(bytes, cuts, true);
        const lines = await collect(reuse ? reusingSource(chunks) : plainSource(chunks));
        expect(lines.map((l) => l.lineNo)).toEqual(file.lines.map((_, i) => i + 1));
        lines.forEach((line, i) => {
          expect(Buffer.from(line.text, 'utf8').equals(Buffer.from(file.lines[i] ?? '', 'utf8'))).toBe(true);
        });
      }),
      { numRuns: 250 },
    );
  });

  it('valid JSONL is accepted by the inspector whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlArb, cutsArb, async (file, cuts) => {
        const inspector = new BatchFileInspector({ maxLines: 1000, allowedModels: null, requireModel: true });
        for await (const line of splitLines(plainSource(chunk(encode(file), cuts)))) inspector.inspect(line);
        const result = inspector.result();
        expect(result.lineCount).toBe(file.lines.filter((l) => l !== '').length);
        expect(result.models).toEqual(file.models);
        expect(result.endpoint).toBe(file.url.startsWith('/v1/') ? file.url : `/v1${file.url}`);
      }),
      { numRuns: 200 },
    );
  });

  it('arbitrary bytes: the lines do not depend on the chunking (whole-buffer reference)', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb(300), cutsArb, fc.boolean(), async (bytes, cuts, reuse) => {
        const chunks = chunk(bytes, cuts, true);
        const reference = referenceSplit(Buffer.from(bytes));
        const lines: Line[] = [];
        let error: unknown = null;
        try {
          for await (const line of splitLines(reuse ? reusingSource(chunks) : plainSource(chunks))) lines.push(line);
        } catch (err) {
          error = err;
        }
        expect(lines).toEqual(reference.lines);
        if (reference.badLine === null) expect(error).toBeNull();
        else {
          // Bytes that are not UTF-8 stop the file at their line, typed and named.
          expect(error).toBeInstanceOf(GatewayError);
          expect((error as GatewayError).code).toBe('invalid_json_line');
          expect((error as GatewayError).message).toContain(`Line ${reference.badLine}:`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

// --- hostile input -----------------------------------------------------------------------------

/** A valid file damaged the ways a hostile or broken client damages one. */
const damagedArb = fc
  .tuple(
    jsonlArb,
    fc.array(
      fc.record({
        at: fc.nat(),
        edit: fc.constantFrom('truncate', 'flip', 'insert', 'deep', 'delete'),
        bytes: bytesArb(8),
        depth: fc.integer({ min: 60, max: 6000 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([file, edits]) => {
    let bytes = encode(file);
    for (const { at, edit, bytes: b, depth } of edits) {
      const i = at % (bytes.length + 1);
      if (edit === 'truncate') bytes = bytes.subarray(0, i);
      else if (edit === 'flip' && i < bytes.length) bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([(bytes[i] ?? 0) ^ 0xff]), bytes.subarray(i + 1)]);
      else if (edit === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from(b), bytes.subarray(i)]);
      else if (edit === 'deep') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from('['.repeat(depth)), bytes.subarray(i)]);
      else bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + b.length)]);
    }
    return bytes;
  });

describe('BatchFileInspector over splitLines', () => {
  it('arbitrary bytes, arbitrary chunks, arbitrary options: only a typed 4xx GatewayError escapes', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb(400), cutsArb, optionsArb, async (bytes, cuts, options) => {
        expectTyped4xx(await validate(plainSource(chunk(bytes, cuts)), options));
      }),
      { numRuns: 800 },
    );
  });

  it('damaged JSONL (truncated, flipped, inserted bytes, deep nesting): only a typed 4xx GatewayError escapes', async () => {
    await fc.assert(
      fc.asyncProperty(damagedArb, cutsArb, optionsArb, async (bytes, cuts, options) => {
        expectTyped4xx(await validate(plainSource(chunk(bytes, cuts)), options));
      }),
      { numRuns: 400 },
    );
  });

  it('a valid line under deep nesting is refused with invalid_json_line naming the line, never parsed into a 500', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlArb, fc.nat(), fc.oneof(fc.integer({ min: 55, max: 70 }), fc.integer({ min: 55, max: 8000 })), cutsArb, async (file, pick, depth, cuts) => {
        const requests = file.lines.map((l, i) => ({ l, i })).filter(({ l }) => l !== '');
        const target = requests[pick % requests.length];
        if (target === undefined) return;
        // Wrap the target line's body.messages in `depth` arrays, as text (stringify would overflow).
        const parsed = JSON.parse(target.l) as { body: { messages: unknown } };
        const messages = JSON.stringify(parsed.body.messages);
        parsed.body.messages = '\u0000placeholder';
        const lines = [...file.lines];
        lines[target.i] = JSON.stringify(parsed).replace('"\\u0000placeholder"', `${'['.repeat(depth)}${messages}${']'.repeat(depth)}`);
        const err = await validate(plainSource(chunk(encode({ ...file, lines }), cuts)), {
          maxLines: 1000,
          allowedModels: null,
          requireModel: true,
        });
        const total = depth + 4; // line, body, messages' own array, the message object
        if (total <= 64) {
          expect(err).toBeNull();
        } else {
          expect(err).toBeInstanceOf(GatewayError);
          expect(err).toMatchObject({
            code: 'invalid_json_line',
            message: `Line ${target.i + 1}: the JSON nests deeper than 64 levels. The file was not stored.`,
          });
        }
      }),
      { numRuns: 100 },
    );
  });
});
