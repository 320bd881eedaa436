/** Helpers of the Vertex adapter tests: a deployment on the fakes, input lines, collecting. */
import { Readable } from 'node:stream';
import type { Deployment } from '../../../src/domain/deployment.js';
import type { ProviderAdapter } from '../../../src/domain/ports/provider-adapter.js';
import { createVertexAdapter, type VertexTuning } from '../../../src/providers/vertex/adapter.js';
import type { AdapterDeps } from '../../../src/providers/shared/deps.js';
import type { VertexFakes } from '../../fakes/fake-vertex.js';

export const opts = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

export const vertexDeployment = (params: Record<string, unknown>, upstreamModel = 'gemini-2.5-flash'): Deployment => ({
  id: 'vertex-test',
  modelGroup: 'gemini-flash',
  provider: 'vertex_ai',
  upstreamModel,
  params,
  info: {},
  weight: 1,
});

/** A mutable clock, shared by the adapter and the fakes to test token expiry. */
export const fakeClock = (start = Date.now()): { now: () => number; advance: (ms: number) => void } => {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
};

export const adapterOn = (
  fakes: VertexFakes,
  overrides: Record<string, unknown> = {},
  deps: Partial<AdapterDeps> = {},
  tuning: VertexTuning = {},
): ProviderAdapter => createVertexAdapter(vertexDeployment({ ...fakes.params, ...overrides }), { timeoutMs: 5000, env: {}, ...deps }, tuning);

export const chatLine = (n: number, text = `question ${n}`): Record<string, unknown> => ({
  custom_id: `req-${n}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: text }] },
});

/** The encoded JSONL of `count` lines, as the domain would stream it into `uploadFile`. */
export const encodedFile = (adapter: ProviderAdapter, count: number, text?: (n: number) => string): string =>
  Array.from({ length: count }, (_, i) => `${JSON.stringify(adapter.encodeInputLine(chatLine(i + 1, text?.(i + 1)) as never, i + 1))}\n`).join('');

export const upload = (adapter: ProviderAdapter, content: string | Buffer, label = 'file-AbCdEfGhIjKlMnOpQrStUvWx', filename = 'input.jsonl') =>
  adapter.uploadFile(
    { filename, purpose: 'batch', body: Readable.from([Buffer.from(content)]), bytes: null, expiresAfter: null, label },
    opts(),
  );

export const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

/** What an awaited promise rejected with. */
export const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};
