/**
 * Produces one deployment's copy of a batch input: every line's `body.model` becomes that
 * deployment's upstream model (Azure, for one, requires its deployment name there), then the
 * adapter encodes the line in the upstream's own format. Streams line by line.
 */
import { Readable } from 'node:stream';
import type { BatchInputLine } from '../../contracts/openai.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import { splitLines } from '../lines/split-lines.js';

/** `*` stands for "whatever the client named" (the default deployment serves any model). */
export const rewritesModel = (upstreamModel: string): boolean => upstreamModel !== '*' && upstreamModel !== '';

async function* rewrite(source: Readable, adapter: ProviderAdapter, model: string | null): AsyncGenerator<Buffer> {
  for await (const { text } of splitLines(source)) {
    if (text.trim() === '') continue;
    // The file was validated before any copy is made, so every line parses to an input line.
    const line = JSON.parse(text) as BatchInputLine;
    const body = model === null ? line.body : { ...line.body, model };
    yield Buffer.from(`${JSON.stringify(adapter.encodeInputLine({ ...line, body }))}\n`);
  }
}

export const rewriteForDeployment = (source: Readable, adapter: ProviderAdapter, model: string | null): Readable =>
  Readable.from(rewrite(source, adapter, model), { objectMode: false });
