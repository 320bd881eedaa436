/**
 * Produces one deployment's copy of a batch input: every line's `body.model` becomes that
 * deployment's upstream model (Azure, for one, requires its deployment name there), then the
 * adapter encodes the line in the upstream's own format. Streams line by line. For an
 * OpenAI-format upstream the new model is spliced into the line's bytes (`body-model-span.ts`),
 * never decoded or re-encoded; other formats, and lines the scanner leaves to a parser, are
 * parsed and re-serialised.
 */
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type { BatchInputLine } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import { bodyModelSpan } from '../lines/body-model-span.js';
import { decodeLine, splitLineBytes, type LineBytes } from '../lines/split-lines.js';

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
    const span = bodyModelSpan(text);
    if (span !== null) return Buffer.from(`${text.slice(0, span.start)}${JSON.stringify(model)}${text.slice(span.end)}\n`);
  }
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

const CR = 0x0d;
const NEWLINE = 0x0a;

/** An OpenAI-format line (CR dropped), the span of its `body.model` value and what replaces it. */
interface Splice {
  readonly line: Buffer;
  readonly start: number;
  readonly end: number;
  readonly model: Buffer;
  /** Bytes of the rewritten line, newline included. */
  readonly size: number;
}

/** Writes the rewritten line into `out` at `at`; returns the offset past it. */
function writeSplice({ line, start, end, model }: Splice, out: Buffer, at: number): number {
  let to = at + line.copy(out, at, 0, start);
  to += model.copy(out, to);
  to += line.copy(out, to, end);
  out[to] = NEWLINE;
  return to + 1;
}

/**
 * The splice of a line whose model can be replaced as bytes, or null when the text path must
 * decide (a line the scanner leaves to a parser, a blank line, bytes that are not UTF-8: the text
 * path names the line). Decoding every line to a string and encoding it back was most of the
 * cost of a managed upload's copies (bench/RESULTS.md, uploads). The scan runs over the line's
 * Latin-1 reading, one character per byte, so its offsets are byte offsets: JSON's structural
 * characters are ASCII, and no byte of a multi-byte UTF-8 character is below 0x80, so the scan
 * sees the same structure, and the same `body` and `model` keys, as it would in the decoded text.
 */
function spliceOf({ bytes }: LineBytes, model: Buffer): Splice | null {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  const line = bytes.subarray(0, end);
  if (!isUtf8(line)) return null;
  const span = bodyModelSpan(line.toString('latin1'));
  if (span === null) return null;
  return { line, start: span.start, end: span.end, model, size: span.start + model.length + (end - span.end) + 1 };
}

/** Any other line: decoded as every reader decodes it, blank lines dropped. */
function rewrittenText(line: LineBytes, adapter: ProviderAdapter, model: string | null): Buffer | null {
  const text = decodeLine(line.bytes, line.lineNo);
  // Blank lines are dropped, as validation reads them (whitespace of any kind).
  if (text.trim() === '') return null;
  return rewriteLine(text, line.lineNo, adapter, model);
}

/**
 * Lines are written into buffers of this size, each sent as one write: one socket write per line
 * cost more than the rewriting itself on a 50,000-line upload, and a buffer per line joined
 * later was one allocation and one copy too many (bench/RESULTS.md, uploads).
 */
const WRITE_BYTES = 64 * 1024;

async function* rewrite(source: AsyncIterable<Uint8Array>, adapter: ProviderAdapter, model: string | null): AsyncGenerator<Buffer> {
  const modelBytes = model !== null && adapter.capabilities.lineFormat === 'openai' ? Buffer.from(JSON.stringify(model)) : null;
  let out = Buffer.allocUnsafe(WRITE_BYTES);
  let used = 0;
  for await (const raw of splitLineBytes(source)) {
    const splice = modelBytes === null ? null : spliceOf(raw, modelBytes);
    const text = splice === null ? rewrittenText(raw, adapter, model) : null;
    const size = splice?.size ?? text?.length;
    if (size === undefined) continue;
    // A line that does not fit goes into the next buffer (one of its own size if it is larger):
    // a buffer handed on is never written again.
    if (used + size > out.length) {
      if (used > 0) yield out.subarray(0, used);
      out = Buffer.allocUnsafe(Math.max(WRITE_BYTES, size));
      used = 0;
    }
    if (splice !== null) used = writeSplice(splice, out, used);
    else if (text !== null) used += text.copy(out, used);
  }
  if (used > 0) yield out.subarray(0, used);
}

export const rewriteForDeployment = (source: AsyncIterable<Uint8Array>, adapter: ProviderAdapter, model: string | null): Readable =>
  Readable.from(rewrite(source, adapter, model), { objectMode: false });
