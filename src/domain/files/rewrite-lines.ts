/**
 * Produces one deployment's copy of a batch input: every line's `body.model` becomes that
 * deployment's upstream model (Azure, for one, requires its deployment name there), then the
 * adapter encodes the line in the upstream's own format. Streams line by line. For an
 * OpenAI-format upstream the new model is spliced into the line's text (`body-model-span.ts`);
 * other formats, and lines the scanner leaves to a parser, are parsed and re-serialised.
 */
import { Readable } from 'node:stream';
import type { BatchInputLine } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import { bodyModelSpan } from '../lines/body-model-span.js';
import { splitLines } from '../lines/split-lines.js';

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

/**
 * Lines are joined into writes of about this size: one socket write per line cost more than the
 * rewriting itself on a 50,000-line upload (bench/RESULTS.md, uploads).
 */
const WRITE_BYTES = 64 * 1024;

async function* rewrite(source: Readable, adapter: ProviderAdapter, model: string | null): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const { text, lineNo } of splitLines(source)) {
    if (text.trim() === '') continue;
    const line = rewriteLine(text, lineNo, adapter, model);
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= WRITE_BYTES) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

export const rewriteForDeployment = (source: Readable, adapter: ProviderAdapter, model: string | null): Readable =>
  Readable.from(rewrite(source, adapter, model), { objectMode: false });
