/**
 * Webhooks survive a crash (issue 8): a batch finishes, the gateway process is SIGKILLed while
 * its webhook is being delivered, and after a restart the receiver, which also answers 500 a few
 * times first, gets the event: at least once in all, exactly once after de-duplication by
 * `webhook-id`, every delivery verified with the official `openai` SDK's `webhooks.unwrap`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';

const MASTER = 'sk-master-webhook-crash';
const SECRET = `whsec_${Buffer.from('a secret of thirty-two bytes....').toString('base64')}`;

interface Received {
  readonly id: string;
  readonly type: string;
  readonly batchId: string;
}

describe('webhook delivery across a SIGKILL', () => {
  let fake: FakeUpstream;
  let dir: TempDir;
  let configPath: string;
  let dataDir: string;
  let gateway: SpawnedGateway | null = null;
  let receiver: Server;
  let receiverUrl: string;
  const verifier = new OpenAI({ apiKey: 'unused', webhookSecret: SECRET });
  const delivered: Received[] = [];
  let behaviour: 'hang' | 'fail' | 'ok' = 'hang';
  let failuresLeft = 3;
  let attempts = 0;
  let onFirstAttempt: () => void = () => {};

  beforeAll(async () => {
    receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        attempts += 1;
        onFirstAttempt();
        if (behaviour === 'hang') return; // never answers: the gateway dies while it waits
        if (behaviour === 'fail' && failuresLeft > 0) {
          failuresLeft -= 1;
          res.writeHead(500).end('busy');
          return;
        }
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        verifier.webhooks
          .unwrap(body, headers)
          .then((event) => {
            delivered.push({ id: headers['webhook-id'] ?? '', type: event.type, batchId: (event.data as { id: string }).id });
            res.writeHead(200).end();
          })
          .catch(() => res.writeHead(400).end('bad signature'));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: 'key-h', autoProgress: false });
    dir = await tempDir('bg-webhook-');
    configPath = join(dir.path, 'config.yaml');
    dataDir = join(dir.path, 'data');
    await writeFile(
      configPath,
      `model_list:
  - model_name: g
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${fake.baseUrl}, api_key: key-h }
    model_info: { id: dep-h }
general_settings:
  master_key: ${MASTER}
  batch_poll_min_interval_seconds: 0.2
  webhooks:
    - url: ${receiverUrl}
      secret: ${SECRET}
  webhook_settings:
    timeout_seconds: 1
    initial_backoff_seconds: 0.2
    max_backoff_seconds: 1
`,
    );
  }, 60_000);

  afterAll(async () => {
    if (gateway !== null) await gateway.stop();
    await fake?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    receiver.closeAllConnections();
    await dir?.remove();
  });

  it('delivers the batch.completed event once after de-duplication, signed', async () => {
    gateway = await spawnGateway({ configPath, dataDir });
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [] } });
    const file = await client.files.create({ file: new File([line], 'in.jsonl'), purpose: 'batch' }, { query: { target_model_names: 'g' } });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const firstAttempt = new Promise<void>((resolve) => {
      onFirstAttempt = resolve;
    });
    await fake.advance([...fake.batches.keys()][0] ?? '', 'completed');
    // The worker books the batch and starts delivering; the receiver holds the request; kill.
    await firstAttempt;
    const exited = new Promise((r) => gateway?.child.once('exit', r));
    gateway.child.kill('SIGKILL');
    await exited;
    gateway = null;
    expect(delivered).toEqual([]);

    behaviour = 'fail';
    gateway = await spawnGateway({ configPath, dataDir });
    const deadline = Date.now() + 40_000;
    while (delivered.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(delivered.length, gateway.output()).toBeGreaterThanOrEqual(1);
    expect(failuresLeft).toBe(0);
    expect(attempts).toBeGreaterThanOrEqual(5);
    const unique = new Map(delivered.map((d) => [d.id, d]));
    expect([...unique.values()]).toEqual([{ id: expect.stringMatching(/^evt_/) as string, type: 'batch.completed', batchId: batch.id }]);
    // Booked once, too, although the first process died mid-way.
    const logs = (await (await fetch(`${gateway.url}/spend/logs?batch_id=${batch.id}`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as unknown[];
    expect(logs).toHaveLength(1);
  }, 90_000);
});
