/**
 * Shared by the managed-files suites (`test/e2e/managed-*`, `test/integration/managed-*`,
 * `placement*`, `models*`): three fake upstreams (two Azure accounts and one OpenAI account), a
 * LiteLLM config.yaml that puts all three in one batch model group, JSONL builders, typed ways to
 * send LiteLLM's extra fields through the official `openai` client, and a hand-moved clock.
 */
import OpenAI, { toFile } from 'openai';
import type { Clock } from '../../src/domain/ports/clock.js';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../fakes/fake-upstream.js';

export const MASTER_KEY = 'sk-master-managed-0123456789';
export const AZURE_API_VERSION = '2025-04-01-preview';

/** The batch model group every deployment below serves, and the upstream names each rewrites to. */
export const GROUP = 'gpt-4o-mini-batch';
/** A second group, on the OpenAI account only. */
export const OTHER_GROUP = 'gpt-4o-batch';

export const UPSTREAM = {
  eu: { key: 'azure-key-eu-1111', model: 'gpt-4o-mini-eu-batch', id: 'azure-eu' },
  us: { key: 'azure-key-us-2222', model: 'gpt-4o-mini-us-batch' },
  oa: { key: 'sk-upstream-openai-3333', model: 'gpt-4o-mini-2024-07-18', id: 'openai-main' },
  oaOther: { model: 'gpt-4o-2024-08-06', id: 'openai-4o' },
} as const;

export const ENV: Record<string, string> = {
  AZURE_EU_KEY: UPSTREAM.eu.key,
  AZURE_US_KEY: UPSTREAM.us.key,
  OPENAI_KEY: UPSTREAM.oa.key,
  MASTER: MASTER_KEY,
};

export interface Fakes {
  readonly eu: FakeUpstream;
  readonly us: FakeUpstream;
  readonly oa: FakeUpstream;
  readonly all: readonly FakeUpstream[];
  close(): Promise<void>;
}

export async function startFakes(options: { autoProgress?: boolean } = {}): Promise<Fakes> {
  const auto = options.autoProgress ?? true;
  const eu = await startFakeUpstream({ flavor: 'azure', apiKey: UPSTREAM.eu.key, azureStyle: 'classic', autoProgress: auto });
  const us = await startFakeUpstream({ flavor: 'azure', apiKey: UPSTREAM.us.key, azureStyle: 'classic', autoProgress: auto });
  const oa = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM.oa.key, autoProgress: auto });
  return {
    eu,
    us,
    oa,
    all: [eu, us, oa],
    async close() {
      await Promise.all([eu.close(), us.close(), oa.close()]);
    },
  };
}

export interface YamlOptions {
  /** `litellm_params.weight` per deployment of the batch group. */
  readonly weights?: { readonly eu?: number; readonly us?: number; readonly oa?: number };
  /** Lines (indented two spaces) under `router_settings:`, `litellm_settings:`, `general_settings:`. */
  readonly routerSettings?: string;
  readonly litellmSettings?: string;
  readonly generalSettings?: string;
  /** Leave the OpenAI deployment out of the batch group (only the two Azure accounts serve it). */
  readonly azureOnly?: boolean;
}

const weightLine = (w: number | undefined): string => (w === undefined ? '' : `\n      weight: ${w}`);

/**
 * The US Azure deployment has no `model_info.id` on purpose: its id is derived from where it
 * lives, and stored objects must still route back to it after a restart.
 */
export const managedYaml = (fakes: Fakes, options: YamlOptions = {}): string => `model_list:
  - model_name: ${GROUP}
    litellm_params:
      model: azure/${UPSTREAM.eu.model}
      api_base: ${fakes.eu.baseUrl}
      api_key: os.environ/AZURE_EU_KEY
      api_version: "${AZURE_API_VERSION}"${weightLine(options.weights?.eu)}
    model_info:
      id: ${UPSTREAM.eu.id}
      mode: batch
  - model_name: ${GROUP}
    litellm_params:
      model: azure/${UPSTREAM.us.model}
      api_base: ${fakes.us.baseUrl}
      api_key: os.environ/AZURE_US_KEY
      api_version: "${AZURE_API_VERSION}"${weightLine(options.weights?.us)}
    model_info:
      mode: batch
${
  options.azureOnly === true
    ? ''
    : `  - model_name: ${GROUP}
    litellm_params:
      model: openai/${UPSTREAM.oa.model}
      api_base: ${fakes.oa.baseUrl}
      api_key: os.environ/OPENAI_KEY${weightLine(options.weights?.oa)}
    model_info:
      id: ${UPSTREAM.oa.id}
      mode: batch
`
}  - model_name: ${OTHER_GROUP}
    litellm_params:
      model: openai/${UPSTREAM.oaOther.model}
      api_base: ${fakes.oa.baseUrl}
      api_key: os.environ/OPENAI_KEY
    model_info:
      id: ${UPSTREAM.oaOther.id}
general_settings:
  master_key: os.environ/MASTER
${options.generalSettings ?? ''}
${options.routerSettings === undefined ? '' : `router_settings:\n${options.routerSettings}`}
${options.litellmSettings === undefined ? '' : `litellm_settings:\n${options.litellmSettings}`}
`;

export interface LineSpec {
  readonly customId?: string;
  readonly model?: string;
  readonly url?: string;
}

/** A valid chat-completions batch line. */
export const line = (i: number, spec: LineSpec = {}): string =>
  JSON.stringify({
    custom_id: spec.customId ?? `req-${i}`,
    method: 'POST',
    url: spec.url ?? '/v1/chat/completions',
    body: { model: spec.model ?? GROUP, messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 5 },
  });

export const jsonl = (n: number, spec: Omit<LineSpec, 'customId'> = {}): string =>
  `${Array.from({ length: n }, (_, i) => line(i, spec)).join('\n')}\n`;

export const newClient = (baseUrl: string, apiKey = MASTER_KEY): OpenAI =>
  new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0 });

/**
 * LiteLLM's `extra_body={"target_model_names": …}`, typed: the SDK sends every body property it
 * is given as a form field, and a value of this wider type is assignable to its params type.
 */
export type ManagedUploadParams = OpenAI.FileCreateParams & { target_model_names: string | string[] };
/** LiteLLM's `extra_query={"target_model_names": …}` on the batch listing. */
export type FilteredBatchList = OpenAI.BatchListParams & { target_model_names: string };
/** `model` in the create body, which LiteLLM reads and the SDK's type does not declare. */
export type BatchCreateWithModel = OpenAI.BatchCreateParams & { model: string };

export async function uploadManaged(
  client: OpenAI,
  content: string,
  targets: string | string[] = GROUP,
  filename = 'requests.jsonl',
): Promise<OpenAI.FileObject> {
  const params: ManagedUploadParams = {
    file: await toFile(Buffer.from(content), filename),
    purpose: 'batch',
    target_model_names: targets,
  };
  return client.files.create(params);
}

export const createBatch = (client: OpenAI, inputFileId: string, model?: string): Promise<OpenAI.Batch> => {
  if (model === undefined) {
    return client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
  }
  const params: BatchCreateWithModel = { input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h', model };
  return client.batches.create(params);
};

/** Upload requests a fake received (multipart POSTs to its files path). */
export const uploads = (fake: FakeUpstream): RecordedRequest[] =>
  fake.requests.filter((r) => r.method === 'POST' && /\/files$/.test(r.path));

export const batchCreates = (fake: FakeUpstream): RecordedRequest[] =>
  fake.requests.filter((r) => r.method === 'POST' && /\/batches$/.test(r.path));

/** The batch ids a fake holds now; compare two snapshots to see where a batch was placed. */
export const batchIds = (fake: FakeUpstream): Set<string> => new Set(fake.batches.keys());

/** Which fake gained exactly one batch since `before` (a snapshot per fake), and its upstream id. */
export function placedOn(fakes: readonly FakeUpstream[], before: ReadonlyMap<FakeUpstream, Set<string>>): { fake: FakeUpstream; upstreamId: string } {
  const gained = fakes.flatMap((fake) => [...fake.batches.keys()].filter((id) => !(before.get(fake)?.has(id) ?? false)).map((upstreamId) => ({ fake, upstreamId })));
  if (gained.length !== 1) throw new Error(`expected exactly one new upstream batch, found ${gained.length}`);
  const [only] = gained;
  if (only === undefined) throw new Error('unreachable');
  return only;
}

export const snapshot = (fakes: readonly FakeUpstream[]): Map<FakeUpstream, Set<string>> => new Map(fakes.map((f) => [f, batchIds(f)]));

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2030, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A small seeded PRNG (mulberry32), so "random" placement is the same on every run. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
