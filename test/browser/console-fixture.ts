/**
 * The gateway both browser suites drive (console.test.ts in Chromium, firefox.test.ts in Firefox):
 * a `demo` group answered by mock_response and a `slow` group executed by the gateway against a
 * fake chat server that takes 120 ms per request, so a batch stays running long enough to watch;
 * a team `research` with two keys and one key outside it, each with a finished batch of its own.
 */
import type OpenAI from 'openai';
import { expect } from 'vitest';
import { startFakeChat, type FakeChat } from '../fakes/fake-chat.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, submit, waitFor } from '../integration/executor-support.js';

const consoleYaml = (chatUrl: string, master: string): string => `
model_list:
  - model_name: demo
    litellm_params:
      model: openai/gpt-4o-mini
      mock_response: "Hello from batchgate!"
      input_cost_per_token: 0.000002
      output_cost_per_token: 0.000008
  - model_name: slow
    litellm_params:
      model: openai/llama-3-8b
      api_base: ${chatUrl}
      api_key: sk-upstream
      max_parallel_requests: 1
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000001
    model_info:
      batch_execution: gateway
general_settings:
  master_key: ${master}
  executor_chunk_lines: 5
  batch_poll_min_interval_seconds: 0.5
  proxy_batch_polling_interval: 1
`;

/** POSTs an admin route with the master key; the answer must be a 200. */
export const adminCall = async (gw: InProcessGateway, master: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${master}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

export interface ConsoleWorld {
  readonly chat: FakeChat;
  readonly gw: InProcessGateway;
  /** The signed-in virtual key, in team `research`. */
  readonly keyA: string;
  readonly ownBatch: OpenAI.Batch;
  /** Created by another key of the same team: visible to keyA. */
  readonly teammateBatch: OpenAI.Batch;
  /** Created by a key outside the team: never visible to keyA. */
  readonly otherBatch: OpenAI.Batch;
  /** A finished 5-line batch on `slow` (created by the master key) whose lines 1 and 3 the upstream refused. */
  batchWithFailedLines(): Promise<OpenAI.Batch>;
  close(): Promise<void>;
}

/** Starts the world; `aliases` name the own, teammate and other keys. */
export async function startConsoleWorld(master: string, aliases: readonly [string, string, string]): Promise<ConsoleWorld> {
  const chat = await startFakeChat({ latency: 120 });
  const gw = await startGateway({ yaml: consoleYaml(chat.url, master), worker: true });
  const admin = (path: string, body: unknown) => adminCall(gw, master, path, body);
  await admin('/team/new', { team_id: 'research', team_alias: 'Research' });
  const keyA = (await admin('/key/generate', { key_alias: aliases[0], team_id: 'research' })).key as string;
  const keyTeammate = (await admin('/key/generate', { key_alias: aliases[1], team_id: 'research' })).key as string;
  const keyOther = (await admin('/key/generate', { key_alias: aliases[2] })).key as string;
  const ownBatch = await submit(client(gw.url, keyA), chatLines(3, 'demo'), 'demo');
  const teammateBatch = await submit(client(gw.url, keyTeammate), chatLines(2, 'demo'), 'demo');
  const otherBatch = await submit(client(gw.url, keyOther), chatLines(2, 'demo'), 'demo');
  for (const b of [ownBatch, teammateBatch, otherBatch]) await waitFor(client(gw.url, master), b.id);
  return {
    chat,
    gw,
    keyA,
    ownBatch,
    teammateBatch,
    otherBatch,
    batchWithFailedLines: async () => {
      const fault = chat.setFault({ when: (r) => /"line [13]"/.test(JSON.stringify(r.body)), action: { status: 400 } });
      try {
        const failing = await submit(client(gw.url, master), chatLines(5, 'slow'), 'slow');
        const done = (await waitFor(client(gw.url, master), failing.id, undefined, 40_000)).batch;
        expect(done.request_counts).toMatchObject({ completed: 3, failed: 2 });
        return done;
      } finally {
        fault.remove();
      }
    },
    close: async () => {
      await gw.close();
      await chat.close();
    },
  };
}
