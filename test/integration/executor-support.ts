/**
 * Shared pieces of the gateway-executed batch tests: request files whose every line can be
 * recognised in the fake's log and in the output (`content: "line <i>"`, answered
 * `"echo: line <i>"`), the official client, and readers of the output and error files.
 */
import OpenAI, { toFile } from 'openai';
import { expect } from 'vitest';

export const MASTER_KEY = 'sk-master-executor';

export const customIdOf = (i: number): string => `req-${i}`;
export const contentOf = (i: number): string => `line ${i}`;

export const chatLines = (n: number, model = 'local', from = 0): string =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return JSON.stringify({
      custom_id: customIdOf(i),
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model, messages: [{ role: 'user', content: contentOf(i) }], max_tokens: 5 },
    });
  }).join('\n') + '\n';

export const client = (baseUrl: string, apiKey = MASTER_KEY): OpenAI => new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });

export async function submit(openai: OpenAI, content: string, model = 'local'): Promise<OpenAI.Batch> {
  const params = { file: await toFile(Buffer.from(content), 'requests.jsonl'), purpose: 'batch', target_model_names: model } as OpenAI.FileCreateParams;
  const file = await openai.files.create(params);
  return openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Retrieves the batch until `done` says so (default: a terminal status); every answer is kept. */
export async function waitFor(
  openai: OpenAI,
  id: string,
  done: (b: OpenAI.Batch) => boolean = (b) => TERMINAL.has(b.status),
  timeoutMs = 30_000,
): Promise<{ batch: OpenAI.Batch; seen: OpenAI.Batch[] }> {
  const seen: OpenAI.Batch[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await openai.batches.retrieve(id);
    seen.push(batch);
    if (done(batch)) return { batch, seen };
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms: ${JSON.stringify(batch.request_counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ResultLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

export async function linesOf(openai: OpenAI, fileId: string | null | undefined): Promise<ResultLine[]> {
  if (fileId === null || fileId === undefined) return [];
  const text = await (await openai.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);
}

/** Output and error lines together hold every custom_id of `0..n-1` exactly once. */
export function expectEachOnce(output: readonly ResultLine[], errors: readonly ResultLine[], n: number): void {
  const ids = [...output, ...errors].map((l) => l.custom_id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.sort()).toEqual(Array.from({ length: n }, (_, i) => customIdOf(i)).sort());
}

/** The answer in an output line is the fake's answer to that very line. */
export function expectEchoes(output: readonly ResultLine[]): void {
  for (const line of output) {
    expect(line.error).toBeNull();
    expect(line.response?.status_code).toBe(200);
    expect(line.id).toMatch(/^batch_req_/);
    const i = Number(line.custom_id.slice(4));
    const choices = line.response?.body['choices'] as Array<{ message: { content: string } }>;
    expect(choices[0]?.message.content).toBe(`echo: ${contentOf(i)}`);
  }
}

export const executedYaml = (apiBase: string, extra = ''): string => `
model_list:
  - model_name: local
    litellm_params:
      model: openai/llama-3-8b
      api_base: ${apiBase}
      api_key: sk-upstream
      max_parallel_requests: 4
    model_info:
      batch_execution: gateway
general_settings:
  master_key: ${MASTER_KEY}
  executor_lease_seconds: 1
  executor_chunk_lines: 10
  executor_retry_max_wait_seconds: 0.05
${extra}`;

/**
 * `yaml` (an `executedYaml`) with a second gateway-executed deployment of the group `local` at
 * `apiBase`, its extra `litellm_params` lines, top-level sections `before` general_settings, and
 * extra general `settings`.
 */
export const withSecondDeployment = (
  yaml: string,
  apiBase: string,
  params: readonly string[],
  extra: { readonly before?: string; readonly settings?: string } = {},
): string =>
  yaml.replace(
    'general_settings:\n',
    `  - model_name: local
    litellm_params:
      model: openai/llama-3-8b
      api_base: ${apiBase}
      api_key: sk-upstream
${params.map((p) => `      ${p}\n`).join('')}    model_info:
      batch_execution: gateway
${extra.before ?? ''}general_settings:
${extra.settings ?? ''}`,
  );
