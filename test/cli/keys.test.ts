/** `batchgate keys create|list|delete` as a process, with the master key, against a running gateway. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { MASTER_KEY, assertBuilt, gatewayEnv, runCli } from './cli-support.js';

const yaml = `
model_list:
  - model_name: demo
    litellm_params:
      model: openai/gpt-4o-mini
      mock_response: "hi"
  - model_name: other
    litellm_params:
      model: openai/gpt-4o
      mock_response: "hi"
general_settings:
  master_key: ${MASTER_KEY}
`;

interface KeyView {
  token: string;
  key_alias: string | null;
  team_id: string | null;
  models: string[];
  max_budget: number | null;
  expires: string | null;
}

describe('batchgate keys', () => {
  let gw: InProcessGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    gw = await startGateway({ yaml });
    env = gatewayEnv(gw.url);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('creates a key with its limits, lists it, and deletes it', async () => {
    // A key's team must exist first.
    const team = await fetch(`${gw.url}/team/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ team_id: 'nlp' }),
    });
    expect(team.status).toBe(200);
    const created = await runCli(['keys', 'create', '--alias', 'ci-bot', '--models', 'demo,other', '--max-budget', '12.5', '--team', 'nlp', '--duration', '30d', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as KeyView & { key: string };
    expect(key.key).toMatch(/^sk-/);
    expect(key).toMatchObject({ key_alias: 'ci-bot', models: ['demo', 'other'], max_budget: 12.5, team_id: 'nlp' });
    expect(key.expires).not.toBeNull();

    // The new key works against the gateway (and is not the admin).
    const asKey = await runCli(['keys', 'list'], { env: gatewayEnv(gw.url, key.key) });
    expect(asKey.code).toBe(5);
    expect(asKey.stderr).toMatch(/list keys: the gateway answered 403/);

    const human = await runCli(['keys', 'create', '--alias', 'human'], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.trim()).toMatch(/^sk-\S+$/);
    expect(human.stderr).toContain('shown once');

    const list = await runCli(['keys', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { keys: KeyView[]; total_count: number };
    expect(listed.keys.map((k) => k.key_alias).sort()).toEqual(['ci-bot', 'human']);
    expect(list.stdout).not.toContain(key.key);
    const table = await runCli(['keys', 'list'], { env });
    expect(table.stdout).toMatch(/ci-bot\s+nlp\s+demo,other\s+0\/12\.5/);

    const deleted = await runCli(['keys', 'delete', key.key, '--json'], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((JSON.parse(deleted.stdout) as { deleted_keys: string[] }).deleted_keys).toEqual([key.token]);
    const after = JSON.parse((await runCli(['keys', 'list', '--json'], { env })).stdout) as { keys: KeyView[] };
    expect(after.keys.map((k) => k.key_alias)).toEqual(['human']);

    // By token (the hash `keys list` shows) as well.
    const byToken = await runCli(['keys', 'delete', after.keys[0]!.token], { env });
    expect(byToken.code, byToken.stderr).toBe(0);
    expect(byToken.stdout).toContain('deleted 1 key(s)');
  });

  it('refuses bad values before calling the gateway (exit 2) and reports the gateway refusing one (exit 5)', async () => {
    const budget = await runCli(['keys', 'create', '--max-budget', 'lots'], { env });
    expect(budget.code).toBe(2);
    expect(budget.stderr).toContain('--max-budget');
    const duration = await runCli(['keys', 'create', '--duration', 'forever'], { env });
    expect(duration.code).toBe(5);
    expect(duration.stderr).toMatch(/create key: the gateway answered 400 \(\w+\): .*duration/);
  });
});
