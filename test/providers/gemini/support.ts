/** Helpers of the Gemini API adapter tests: a deployment on the fake, staged inputs, collecting. */
import { Readable } from 'node:stream';
import type { Deployment } from '../../../src/domain/deployment.js';
import type { CreateBatchInput, ProviderAdapter, StagedInput } from '../../../src/domain/ports/provider-adapter.js';
import { createGeminiAdapter, type GeminiTuning } from '../../../src/providers/gemini/adapter.js';
import type { AdapterDeps } from '../../../src/providers/shared/deps.js';
import type { FakeGemini } from '../../fakes/fake-gemini.js';

export const opts = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

export const geminiDeployment = (params: Record<string, unknown>, upstreamModel = 'gemini-2.5-flash'): Deployment => ({
  id: 'gemini-test',
  modelGroup: 'gemini-flash',
  provider: 'gemini',
  upstreamModel,
  params,
  info: {},
  weight: 1,
});

export const adapterOn = (
  fake: FakeGemini,
  overrides: Record<string, unknown> = {},
  deps: Partial<AdapterDeps> = {},
  tuning: GeminiTuning = {},
): ProviderAdapter => createGeminiAdapter(geminiDeployment({ ...fake.params, ...overrides }), { timeoutMs: 5000, env: {}, ...deps }, tuning);

export const chatLine = (n: number, text = `question ${n}`): Record<string, unknown> => ({
  custom_id: `req-${n}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: text }], max_tokens: 50 },
});

/** The staged JSONL of `count` lines, as the domain keeps it after `encodeInputLine`. */
export const stagedText = (adapter: ProviderAdapter, count: number, text?: (n: number) => string): string =>
  Array.from({ length: count }, (_, i) => `${JSON.stringify(adapter.encodeInputLine(chatLine(i + 1, text?.(i + 1)) as never, i + 1))}\n`).join('');

/** A re-openable staged input over `content`, counting how often it was opened. */
export const stagedInput = (content: string): StagedInput & { opened: number } => {
  const bytes = Buffer.from(content);
  const input = {
    bytes: bytes.length,
    opened: 0,
    open: async (): Promise<Readable> => {
      input.opened += 1;
      // Small pieces, so lines cross chunk boundaries as they do when read from a blob store.
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 1000) pieces.push(bytes.subarray(i, i + 1000));
      return Readable.from(pieces);
    },
  };
  return input;
};

export const createInput = (staged: StagedInput, label = 'batch_AbCdEfGhIjKlMnOp'): CreateBatchInput => ({
  inputFileRef: 'staged/file-x/gemini-test.jsonl',
  endpoint: '/v1/chat/completions',
  completionWindow: '24h',
  metadata: null,
  outputExpiresAfter: null,
  label,
  stagedInput: staged,
});

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
