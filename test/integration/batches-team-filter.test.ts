/**
 * `GET /v1/batches?team_id=…` (batchgate's own filter, used by the console): only batches created
 * by keys of that team, within what the caller may see anyway — a virtual key asking for another
 * team's batches gets none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, submit } from './executor-support.js';

const MASTER = 'sk-master-team-filter';
let gw: InProcessGateway;

const post = async (path: string, body: unknown): Promise<Record<string, unknown>> =>
  (await (await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as Record<string, unknown>;

beforeAll(async () => {
  gw = await startGateway({ yaml: `model_list:\n  - model_name: demo\n    litellm_params: { model: openai/m, mock_response: hi }\ngeneral_settings:\n  master_key: ${MASTER}\n` });
});
afterAll(async () => {
  await gw?.close();
});

describe('the team filter of the batch list', () => {
  it('lists one team’s batches, and never widens what a key may see', async () => {
    await post('/team/new', { team_id: 'red' });
    await post('/team/new', { team_id: 'blue' });
    const red = (await post('/key/generate', { team_id: 'red' })).key as string;
    const blue = (await post('/key/generate', { team_id: 'blue' })).key as string;
    const redBatch = await submit(client(gw.url, red), chatLines(1, 'demo'), 'demo');
    const blueBatch = await submit(client(gw.url, blue), chatLines(1, 'demo'), 'demo');
    const ids = async (key: string, team: string): Promise<string[]> => (await client(gw.url, key).batches.list({ team_id: team } as never)).data.map((b) => b.id);
    expect(await ids(MASTER, 'red')).toEqual([redBatch.id]);
    expect(await ids(MASTER, 'blue')).toEqual([blueBatch.id]);
    expect(await ids(blue, 'red')).toEqual([]);
    expect((await client(gw.url, MASTER).batches.list()).data.map((b) => b.id).sort()).toEqual([redBatch.id, blueBatch.id].sort());
  });
});
