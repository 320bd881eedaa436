/**
 * Renaming a model group does not orphan its batches (the derived deployment id leaves the name
 * out); a deployment whose id did change (here its api_base) leaves its unfinished batches named
 * in one start-up warning that says how to restore them.
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/domain/ports/logger.js';
import { warnOrphanedBatches } from '../../src/domain/recovery/orphaned-batches.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, tempDir, type InProcessGateway, type TempDir } from '../helpers/gateway.js';

const KEY = 'sk-upstream-rename-0123456789';
let fake: FakeUpstream;
let dir: TempDir;
let gw: InProcessGateway | undefined;

const yaml = (group: string, base: string): string => `model_list:
  - model_name: ${group}
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${base}, api_key: ${KEY} }
`;
const client = (url: string): OpenAI => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: KEY, autoProgress: false });
  dir = await tempDir('bg-rename-');
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
  await dir?.remove();
});

describe('renaming a model group', () => {
  it('keeps its batches reachable, and names the ones a changed deployment left behind', async () => {
    gw = await startGateway({ yaml: yaml('team-a-batch', fake.baseUrl), dataDir: dir.path });
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'team-a-batch', messages: [{ role: 'user', content: 'hi' }] } });
    const file = await client(gw.url).files.create({ file: await toFile(Buffer.from(`${line}\n`), 'in.jsonl'), purpose: 'batch' });
    const batch = await client(gw.url).batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await gw.close({ keepData: true });

    gw = await startGateway({ yaml: yaml('renamed-batch', fake.baseUrl), dataDir: dir.path });
    expect((await client(gw.url).batches.retrieve(batch.id)).id).toBe(batch.id);
    expect(await warnOrphanedBatches(gw.gateway.store, gw.gateway.directory, silentLogger)).toBeNull();
    await gw.close({ keepData: true });

    // Another endpoint is another deployment: the batch's one is gone from the config.
    gw = await startGateway({ yaml: yaml('renamed-batch', `${fake.baseUrl}/elsewhere`), dataDir: dir.path });
    const warning = await warnOrphanedBatches(gw.gateway.store, gw.gateway.directory, silentLogger);
    expect(warning).toMatch(/deployments that are no longer configured: 'dep-[0-9a-f]{16}' \(1 batch, model group 'team-a-batch'\)/);
    expect(warning).toContain('set model_info.id to that id');
  });
});
