/** Helpers shared by the provider tests: deployments, fake targets, stream builders. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Deployment } from '../../src/domain/deployment.js';
import type { ProviderAdapter } from '../../src/domain/ports/provider-adapter.js';
import { UpstreamError } from '../../src/errors/upstream-error.js';
import type { FakeUpstream, FakeUpstreamOptions } from '../fakes/fake-upstream.js';

export const deploymentOf = (
  id: string,
  provider: string,
  params: Record<string, unknown>,
  upstreamModel = 'gpt-4o-mini',
): Deployment => ({
  id,
  modelGroup: 'gpt-4o-mini',
  provider,
  upstreamModel,
  params,
  info: {},
  weight: 1,
});

/** One adapter + fake pairing the contract suite runs against. */
export interface Target {
  readonly name: string;
  readonly provider: 'openai' | 'azure';
  readonly apiKey: string;
  readonly fake: FakeUpstreamOptions;
  /** Deployment params pointing at the fake; `overrides` replace any of them. */
  params(fake: FakeUpstream, overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A fresh upload's status as the adapter reports it. */
  readonly uploadedStatus: 'uploaded' | 'processed';
}

const OPENAI_KEY = 'sk-test-openai-0123456789abcdef';
const AZURE_KEY = 'azure-test-key-0123456789abcdef';

export const TARGETS: readonly Target[] = [
  {
    name: 'openai',
    provider: 'openai',
    apiKey: OPENAI_KEY,
    fake: { flavor: 'openai', apiKey: OPENAI_KEY },
    params: (fake, overrides = {}) => ({ api_base: fake.baseUrl, api_key: OPENAI_KEY, ...overrides }),
    uploadedStatus: 'processed',
  },
  {
    name: 'azure classic',
    provider: 'azure',
    apiKey: AZURE_KEY,
    fake: { flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'classic' },
    params: (fake, overrides = {}) => ({ api_base: fake.baseUrl, api_key: AZURE_KEY, api_version: '2025-04-01-preview', ...overrides }),
    uploadedStatus: 'uploaded',
  },
  {
    name: 'azure v1',
    provider: 'azure',
    apiKey: AZURE_KEY,
    fake: { flavor: 'azure', apiKey: AZURE_KEY, azureStyle: 'v1' },
    params: (fake, overrides = {}) => ({ api_base: fake.baseUrl, api_key: AZURE_KEY, api_version: 'v1', ...overrides }),
    uploadedStatus: 'uploaded',
  },
];

export interface RequestLine {
  custom_id: string;
  method: 'POST';
  url: string;
  body: { model: string; messages: Array<{ role: string; content: string }> };
}

export const requestLines = (model: string, customIds: readonly string[]): RequestLine[] =>
  customIds.map((customId) => ({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: `hello ${customId}` }] },
  }));

export const jsonl = (lines: readonly unknown[]): string => lines.map((line) => `${JSON.stringify(line)}\n`).join('');

/** A stream of `text` in small chunks, as an upload body would arrive. */
export const streamOf = (text: string, chunkSize = 1024): Readable => {
  const buffer = Buffer.from(text);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < buffer.length; offset += chunkSize) yield buffer.subarray(offset, offset + chunkSize);
  }
  return Readable.from(chunks(), { objectMode: false });
};

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const readAll = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export const signal = (): AbortSignal => new AbortController().signal;
export const opts = (): { signal: AbortSignal } => ({ signal: signal() });

/** Runs `fn`, expecting an `UpstreamError`, and returns it. */
export const upstreamErrorOf = async (fn: () => Promise<unknown>): Promise<UpstreamError> => {
  try {
    await fn();
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw new Error(`expected an UpstreamError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an UpstreamError, but the call succeeded');
};

/** Uploads a small batch input file and returns its upstream ref. */
export const uploadBatchFile = async (adapter: ProviderAdapter, content: string, filename = 'input.jsonl'): Promise<string> => {
  const file = await adapter.uploadFile(
    { filename, purpose: 'batch', body: streamOf(content), bytes: Buffer.byteLength(content), label: 'file-TESTLABEL000000000000000', expiresAfter: null },
    opts(),
  );
  return file.ref;
};
