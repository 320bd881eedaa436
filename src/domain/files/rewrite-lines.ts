/**
 * Produces one deployment's copy of a batch input: every line's `body.model` becomes that
 * deployment's upstream model (Azure, for one, requires its deployment name there), then the
 * adapter encodes the line in the upstream's own format. Streams line by line. For an
 * OpenAI-format upstream the new model is spliced into the line's bytes, which are never decoded
 * (`body-model-span.ts`); other formats, and lines the scanner leaves to a parser, are decoded,
 * parsed and re-serialised.
 */
import { Readable } from 'node:stream';
import type { BatchInputLine } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import { bodyModelSpan } from '../lines/body-model-span.js';
import { ChunkWriter } from '../lines/chunk-writer.js';
import { decodeLine, splitLineBytes } from '../lines/split-lines.js';

/** `*` stands for "whatever the client named" (the default deployment serves any model). */
export const rewritesModel = (upstreamModel: string): boolean => upstreamModel !== '*' && upstreamModel !== '';

/**
 * One line's upstream copy. The file was validated (nesting depth included) before any copy is
 * made, so this should never fail; if it does anyway (a RangeError from a recursive stringify,
 * an adapter's encoder refusing the line), the copy stops with a typed 400 naming the line
 * instead of an untyped error that would surface as a 500.
 */
export function rewriteLine(text: string, lineNo: number, adapter: ProviderAdapter, model: string | null): Buffer {
  // An OpenAI-format upstream takes the line as it is: only the model changes, spliced in.
  if (model !== null && adapter.capabilities.lineFormat === 'openai') {
    const pieces = splicedPieces(Buffer.from(text), Buffer.from(JSON.stringify(model)));
    if (pieces !== null) return Buffer.concat(pieces);
  }
  return parsedLine(text, lineNo, adapter, model);
}

const NEWLINE = Buffer.from('\n');

/** The copy of a line with `model` (JSON text) spliced in as its `body.model`, or null if it must be parsed. */
function splicedPieces(bytes: Buffer, model: Buffer): Buffer[] | null {
  const span = bodyModelSpan(bytes);
  return span === null ? null : [bytes.subarray(0, span.start), model, bytes.subarray(span.end), NEWLINE];
}

/** The parsing path: every line of a native-format upstream, and whatever the splice leaves. */
function parsedLine(text: string, lineNo: number, adapter: ProviderAdapter, model: string | null): Buffer {
  try {
    const line = JSON.parse(text) as BatchInputLine;
    const body = model === null ? line.body : { ...line.body, model };
    return Buffer.from(`${JSON.stringify(adapter.encodeInputLine({ ...line, body }, lineNo))}\n`);
  } catch (err) {
    // An adapter's own typed refusal already says what is wrong, safely for the client.
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(
      'invalid_json_line',
      `Line ${lineNo}: this line could not be rewritten for the upstream deployment (it is not valid JSON, or nests too deeply). The file was not stored.`,
      { cause: err },
    );
  }
}

/**
 * Lines are joined into writes of about this size: one socket write per line cost more than the
 * rewriting itself on a 50,000-line upload (bench/RESULTS.md, uploads).
 */
const WRITE_BYTES = 64 * 1024;

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;

/** The first byte that is not a space, tab or CR (-1: none, a blank line). */
const firstNonSpace = (bytes: Buffer): number => {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== SPACE && c !== TAB && c !== CR) return c;
  }
  return -1;
};

async function* rewrite(source: Readable, adapter: ProviderAdapter, model: string | null): AsyncGenerator<Buffer> {
  const splice = model !== null && adapter.capabilities.lineFormat === 'openai' ? Buffer.from(JSON.stringify(model)) : null;
  const out = new ChunkWriter(WRITE_BYTES);
  for await (const line of splitLineBytes(source)) {
    const first = firstNonSpace(line.bytes);
    if (first === -1) continue;
    // A line that opens an object is spliced as bytes, never decoded; anything else (a BOM, other
    // whitespace a trim would drop, a line the scan leaves to a parser) takes the decoding path,
    // which skips and reads lines exactly as validation did.
    let bytes = line.bytes;
    if (bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    const pieces = splice !== null && first === OPEN_BRACE ? splicedPieces(bytes, splice) : null;
    if (pieces !== null) {
      for (const piece of pieces) out.add(piece);
    } else {
      const text = decodeLine(line);
      if (text.trim() === '') continue;
      out.add(parsedLine(text, line.lineNo, adapter, model));
    }
    yield* out.takeFull();
  }
  yield* out.takeAll();
}

export const rewriteForDeployment = (source: Readable, adapter: ProviderAdapter, model: string | null): Readable =>
  Readable.from(rewrite(source, adapter, model), { objectMode: false });
