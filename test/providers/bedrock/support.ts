/** Shared pieces of the Bedrock adapter tests: deployments over the fakes, lines, readers. */
import { Readable } from 'node:stream';
import type { BatchInputLine } from '../../../src/contracts/openai.js';
import type { Deployment } from '../../../src/domain/deployment.js';
import type { ProviderAdapter, UpstreamResultLine } from '../../../src/domain/ports/provider-adapter.js';
import { createBedrockAdapter } from '../../../src/providers/bedrock/adapter.js';
import type { BedrockFakes } from '../../fakes/fake-bedrock.js';

export const ANTHROPIC_MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
export const NOVA_MODEL = 'us.amazon.nova-lite-v1:0';

export const opts = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(20_000) });

export const bedrockDeployment = (params: Record<string, unknown>, model = ANTHROPIC_MODEL, info: Record<string, unknown> = {}): Deployment => ({
  id: 'bedrock-test',
  modelGroup: 'claude',
  provider: 'bedrock',
  upstreamModel: model,
  params,
  info,
  weight: 1,
});

export const adapterOver = (
  fakes: BedrockFakes,
  overrides: Record<string, unknown> = {},
  model = ANTHROPIC_MODEL,
  env: Record<string, string | undefined> = {},
): ProviderAdapter => createBedrockAdapter(bedrockDeployment({ ...fakes.params, ...overrides }, model), { timeoutMs: 10_000, env });

export const chatLine = (i: number, text = `question ${i}`): BatchInputLine => ({
  custom_id: `req-${i}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'x', messages: [{ role: 'user', content: text }], max_tokens: 16 },
});

/** The encoded JSONL of `count` lines, as the domain would stream it into `uploadFile`. */
export const encodedBody = (adapter: ProviderAdapter, count: number): Readable =>
  Readable.from(
    (function* () {
      for (let i = 1; i <= count; i++) yield Buffer.from(`${JSON.stringify(adapter.encodeInputLine(chatLine(i), i))}\n`);
    })(),
  );

export const readAll = async (body: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

export const byLine = (lines: UpstreamResultLine[]): Map<number, UpstreamResultLine> => new Map(lines.map((l) => [l.lineNo, l]));

/** Uploads `count` lines and creates a batch; returns the refs. */
export const uploadAndCreate = async (adapter: ProviderAdapter, count: number, label = 'batch_abc123DEF456ghi789JKL012'): Promise<{ fileRef: string; batchRef: string }> => {
  const file = await adapter.uploadFile(
    { filename: 'requests.jsonl', purpose: 'batch', body: encodedBody(adapter, count), bytes: null, expiresAfter: null, label: 'file-abc123' },
    opts(),
  );
  const batch = await adapter.createBatch(
    { inputFileRef: file.ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, outputExpiresAfter: null, label },
    opts(),
  );
  return { fileRef: file.ref, batchRef: batch.ref };
};

/** What no error message may contain: ARNs, S3 URIs, the account id, the bucket, object keys. */
export const expectClean = (message: string, bucket = 'batch-bucket'): void => {
  for (const banned of ['arn:', 's3://', '123456789012', bucket, 'batchgate/', 'batchgate-out/']) {
    if (message.includes(banned)) throw new Error(`message names '${banned}': ${message}`);
  }
};

/** The rejection of `promise`, which must reject. */
export const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
};
