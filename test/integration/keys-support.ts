/**
 * Shared by the keys, isolation and budget suites: a gateway in process in front of a fake OpenAI
 * upstream with two model groups, a pinned clock, and small `fetch` helpers for the admin routes,
 * uploads and batches.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import { composeGateway } from '../../src/server/compose.js';
import { REDACTED_PATHS } from '../../src/server/process-logger.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, tempDir, type InProcessGateway } from '../helpers/gateway.js';

export const MASTER_KEY = 'sk-master-keys-suite-0123456789';
export const UPSTREAM_KEY = 'sk-upstream-keys-suite';
/** The two model groups every suite gateway serves. */
export const CHEAP = 'gpt-4o-mini';
export const PRICEY = 'gpt-4o';

/** A clock the test moves by hand; starts 10 s into a minute so rate windows are predictable. */
export class TestClock implements Clock {
  constructor(public ms = Date.UTC(2030, 0, 15, 12, 0, 10)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const configYaml = (fake: FakeUpstream): string => `model_list:
  - model_name: ${CHEAP}
    litellm_params:
      model: openai/gpt-4o-mini-2024-07-18
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
  - model_name: ${PRICEY}
    litellm_params:
      model: openai/gpt-4o-2024-08-06
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
general_settings:
  master_key: os.environ/MASTER
`;

export const ENV = { UPSTREAM_KEY, MASTER: MASTER_KEY };

export interface Suite {
  readonly fake: FakeUpstream;
  readonly gw: InProcessGateway;
  readonly clock: TestClock;
  readonly api: Api;
  close(): Promise<void>;
}

export async function startSuite(options: { dataDir?: string; fakeAutoProgress?: boolean } = {}): Promise<Suite> {
  const fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY, autoProgress: options.fakeAutoProgress ?? false });
  const clock = new TestClock();
  const gw = await startGateway({
    yaml: configYaml(fake),
    env: ENV,
    clock,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return {
    fake,
    gw,
    clock,
    api: new Api(gw.url),
    async close() {
      await gw.close();
      await fake.close();
    },
  };
}

/** A gateway whose HTTP and domain logs (every level) are captured, as production logs them. */
export async function startLoggingGateway(fake: FakeUpstream): Promise<{ url: string; logs: () => string; close(): Promise<void> }> {
  const dir = await tempDir();
  const configPath = join(dir.path, 'config.yaml');
  await writeFile(configPath, configYaml(fake));
  const config = await loadConfig({ configPath, env: ENV, overrides: { dataDir: dir.path, host: '127.0.0.1', port: 0 } });
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      captured += chunk.toString();
      done();
    },
  });
  const redact = { paths: REDACTED_PATHS, censor: '***' };
  const gateway = await composeGateway(config, {
    httpLogger: { level: 'trace', redact, stream: sink },
    logger: pino({ level: 'trace', redact }, sink),
  });
  const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    logs: () => captured,
    async close() {
      await gateway.close();
      await dir.remove();
    },
  };
}

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** What the gateway answers on errors: OpenAI's envelope. */
export interface ErrorReply {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

export interface GeneratedKey {
  readonly key: string;
  readonly token: string;
  readonly key_name: string;
  readonly [field: string]: unknown;
}

export interface BatchReply {
  readonly id: string;
  readonly status: string;
  readonly output_file_id: string | null;
  readonly [field: string]: unknown;
}

export const line = (customId: string, model: string, content = `hello ${customId}`): string =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }] } });

/** A JSONL file naming the given models, one line each. */
export const jsonl = (models: readonly string[]): string => `${models.map((m, i) => line(`req-${i}`, m)).join('\n')}\n`;

export class Api {
  constructor(readonly url: string) {}

  async call<T = unknown>(method: string, path: string, key: string | null, json?: unknown): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: (type.includes('json') ? JSON.parse(text) : text) as T, headers: res.headers };
  }

  async generateKey(body: Record<string, unknown> = {}): Promise<GeneratedKey> {
    const res = await this.call<GeneratedKey>('POST', '/key/generate', MASTER_KEY, body);
    if (res.status !== 200) throw new Error(`key/generate answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async newTeam(body: Record<string, unknown>): Promise<void> {
    const res = await this.call('POST', '/team/new', MASTER_KEY, body);
    if (res.status !== 200) throw new Error(`team/new answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async upload<T = { id: string }>(key: string, content: string, fields: Record<string, string> = {}): Promise<Reply<T>> {
    const form = new FormData();
    form.append('purpose', 'batch');
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([content], { type: 'application/jsonl' }), 'input.jsonl');
    const res = await fetch(`${this.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  }

  /** Uploads and insists on success; returns the gateway file id. */
  async uploadOk(key: string, content: string, fields: Record<string, string> = {}): Promise<string> {
    const res = await this.upload(key, content, fields);
    if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  createBatch<T = BatchReply>(key: string, inputFileId: string, extra: Record<string, unknown> = {}): Promise<Reply<T>> {
    return this.call<T>('POST', '/v1/batches', key, {
      input_file_id: inputFileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      ...extra,
    });
  }

  async createBatchOk(key: string, inputFileId: string): Promise<BatchReply> {
    const res = await this.createBatch(key, inputFileId);
    if (res.status !== 200) throw new Error(`batch create answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}
