/**
 * A model group of several deployments of one upstream model (two Azure accounts with the same
 * deployment name, here) takes the same bytes on every copy, so the gateway rewrites the file once
 * and sends that to all of them (src/domain/files/fan-out.ts). Through the official client: each
 * copy is the whole file with the model rewritten, and a deployment that fails partway through
 * its copy costs the others nothing.
 */
import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { AZURE_API_VERSION, GROUP, MASTER_KEY, jsonl, newClient, uploadManaged } from './managed-support.js';

const DEPLOYMENT = 'gpt-4o-mini-shared';
const KEYS = ['azure-key-a-1111', 'azure-key-b-2222'] as const;

const yaml = (fakes: readonly FakeUpstream[]): string => `model_list:
${fakes
  .map(
    (fake, i) => `  - model_name: ${GROUP}
    litellm_params:
      model: azure/${DEPLOYMENT}
      api_base: ${fake.baseUrl}
      api_key: ${KEYS[i] ?? ''}
      api_version: "${AZURE_API_VERSION}"
    model_info:
      id: account-${i}
      mode: batch`,
  )
  .join('\n')}
general_settings:
  master_key: ${MASTER_KEY}
router_settings:
  allowed_fails: 100
`;

/** Several branch buffers' worth (about 2 MB), so the copies are sent in many writes. */
const CONTENT = jsonl(12_000);
const REWRITTEN = CONTENT.replaceAll(`"model":"${GROUP}"`, `"model":"${DEPLOYMENT}"`);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('copies that take the same bytes share one rewrite', () => {
  let fakes: FakeUpstream[];
  let gw: InProcessGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fakes = await Promise.all(KEYS.map((apiKey) => startFakeUpstream({ flavor: 'azure', apiKey, azureStyle: 'classic' })));
    gw = await startGateway({ yaml: yaml(fakes) });
    client = newClient(gw.url);
  });
  afterEach(async () => {
    for (const fake of fakes) {
      fake.clearFaults();
      await fake.up();
    }
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all((fakes ?? []).map((f) => f.close()));
  });

  const copiesOf = async (fileId: string) => gw.gateway.store.files.copies(fileId);
  const upstreamOf = (deploymentId: string): FakeUpstream => {
    const fake = fakes[Number(deploymentId.replace('account-', ''))];
    if (fake === undefined) throw new Error(`no fake for ${deploymentId}`);
    return fake;
  };

  it('sends every deployment the whole file, each line given the upstream model', async () => {
    const file = await uploadManaged(client, CONTENT);
    expect(file.bytes).toBe(Buffer.byteLength(CONTENT));
    const copies = await copiesOf(file.id);
    expect(copies.map((c) => c.deploymentId).sort()).toEqual(['account-0', 'account-1']);
    for (const copy of copies) {
      const fake = upstreamOf(copy.deploymentId);
      expect(fake.fileSha256(copy.upstreamRef)).toBe(sha256(REWRITTEN));
      expect(fake.fileModels(copy.upstreamRef)).toEqual([DEPLOYMENT]);
    }
  });

  it('keeps the copy of a deployment that succeeds when another fails before or during its copy', async () => {
    for (const fail of [(f: FakeUpstream) => f.failNext('uploadFile', { status: 500 }), (f: FakeUpstream) => f.down('reset')]) {
      const [broken, healthy] = fakes;
      if (broken === undefined || healthy === undefined) throw new Error('two fakes expected');
      await fail(broken);
      const file = await uploadManaged(client, CONTENT);
      const copies = await copiesOf(file.id);
      expect(copies.map((c) => c.deploymentId)).toEqual(['account-1']);
      expect(healthy.fileSha256(copies[0]?.upstreamRef ?? '')).toBe(sha256(REWRITTEN));
      await broken.up();
      broken.clearFaults();
    }
  });

  it('stores nothing when every deployment fails, and the gateway goes on serving', async () => {
    for (const fake of fakes) await fake.down('reset');
    await expect(uploadManaged(client, CONTENT)).rejects.toMatchObject({ status: expect.any(Number) as unknown });
    for (const fake of fakes) await fake.up();
    const file = await uploadManaged(client, jsonl(3));
    expect((await copiesOf(file.id)).length).toBeGreaterThan(0);
  });
});
