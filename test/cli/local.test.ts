/**
 * The commands that need no running gateway (`--version`, `config check`, `migrate`), and the
 * client commands' exit code when no gateway answers at all.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir, type TempDir } from '../helpers/gateway.js';
import { assertBuilt, runCli } from './cli-support.js';

const SECRET = 'sk-upstream-very-secret-4242';

const goodYaml = `
model_list:
  - model_name: demo
    litellm_params:
      model: openai/gpt-4o-mini
      mock_response: "hi"
  - model_name: remote
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/CLI_TEST_KEY
      api_base: https://api.openai.com/v1
  - model_name: azure-batch
    litellm_params:
      model: azure/gpt-4o-mini-batch
      api_base: https://example-eu.openai.azure.com
      api_key: ${SECRET}
      api_version: "2025-04-01-preview"
`;

/** An Azure deployment without api_base: start-up refuses it, and so must config check. */
const badYaml = `
model_list:
  - model_name: broken
    litellm_params:
      model: azure/gpt-4o-mini
      api_key: ${SECRET}
  - model_name: typo
    litellm_params:
      model: azzure/gpt-4o
`;

describe('batchgate without a gateway', () => {
  let dir: TempDir;
  beforeAll(async () => {
    assertBuilt();
    dir = await tempDir('bg-cli-local-');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it('--help documents every exit code', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '130']) expect(run.stdout).toMatch(new RegExp(`\\n  ${code} +\\S`));
    expect(run.stdout).toMatch(/batch\s+submit batches/);
  });

  it('config check prints the deployments with their secrets redacted', async () => {
    const path = join(dir.path, 'good.yaml');
    await writeFile(path, goodYaml);
    const env = { CLI_TEST_KEY: 'sk-from-the-environment-777' };
    const run = await runCli(['config', 'check', path], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ok, 3 deployment(s)');
    expect(run.stdout).toMatch(/model group +azure-batch/);
    expect(run.stdout).toMatch(/provider +azure/);
    expect(run.stdout).toMatch(/upstream model +gpt-4o-mini-batch/);
    expect(run.stdout).toMatch(/api_key +\*\*\*/);
    expect(run.stdout).toContain('https://example-eu.openai.azure.com');
    expect(run.stdout).toContain('master key       none');
    for (const secret of [SECRET, env.CLI_TEST_KEY]) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }

    const json = await runCli(['config', 'check', path, '--json'], { env });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; deployments: Array<{ id: string; model_group: string; provider: string; upstream_model: string; params: Record<string, unknown> }> };
    expect(parsed.ok).toBe(true);
    expect(parsed.deployments.map((d) => [d.model_group, d.provider, d.upstream_model])).toEqual([
      ['demo', 'openai', 'gpt-4o-mini'],
      ['remote', 'openai', 'gpt-4o'],
      ['azure-batch', 'azure', 'gpt-4o-mini-batch'],
    ]);
    expect(parsed.deployments[2]!.params['api_key']).toBe('***');
    expect(json.stdout).not.toContain(SECRET);
  });

  it('config check of a bad file exits 2 naming each problem, with no secret in the message', async () => {
    const path = join(dir.path, 'bad.yaml');
    await writeFile(path, badYaml);
    const run = await runCli(['config', 'check', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('azzure');
    expect(run.stderr).not.toContain(SECRET);

    const fixedProvider = join(dir.path, 'bad-azure.yaml');
    await writeFile(fixedProvider, badYaml.replace('azzure/', 'openai/'));
    const azure = await runCli(['config', 'check', fixedProvider, '--json']);
    expect(azure.code).toBe(2);
    const parsed = JSON.parse(azure.stdout) as { ok: boolean; problems: string[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.problems.join('\n')).toMatch(/broken[\s\S]*api_base/);
    expect(azure.stderr).toMatch(/broken/);

    const missingEnv = join(dir.path, 'missing-env.yaml');
    await writeFile(missingEnv, goodYaml);
    const unset = await runCli(['config', 'check', missingEnv]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('CLI_TEST_KEY');

    const nofile = await runCli(['config', 'check', join(dir.path, 'nope.yaml')]);
    expect(nofile.code).toBe(2);
  });

  it('migrate creates the embedded database, says which migrations it applied, and then that it is up to date', async () => {
    const config = join(dir.path, 'migrate.yaml');
    await writeFile(config, 'model_list:\n  - model_name: demo\n    litellm_params:\n      model: openai/gpt-4o-mini\n      mock_response: "hi"\n');
    const dataDir = join(dir.path, 'data');
    const first = await runCli(['migrate', '--config', config, '--data-dir', dataDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`sqlite ${join(dataDir, 'batchgate.db')}: applied`);
    expect(first.stdout).toContain('0001-initial');
    await expect(readFile(join(dataDir, 'batchgate.db'))).resolves.toBeInstanceOf(Buffer);

    const again = await runCli(['migrate', '--config', config, '--data-dir', dataDir, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ store: `sqlite ${join(dataDir, 'batchgate.db')}`, applied: [] });

    const bad = join(dir.path, 'migrate-bad.yaml');
    await writeFile(bad, 'model_list: 7\n');
    const refused = await runCli(['migrate', '--config', bad, '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
  });

  it('exits 6 when no gateway answers at the base URL', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const base = `http://127.0.0.1:${port}`;
    for (const args of [['batch', 'list'], ['batch', 'get', 'batch_x'], ['keys', 'list'], ['batch', 'submit', join(REPO_ROOT, 'examples/requests.jsonl'), '-m', 'demo']]) {
      const run = await runCli([...args, '--base-url', base]);
      expect(run.code, args.join(' ')).toBe(6);
      expect(run.stderr).toContain(`could not reach the gateway at ${base}: ECONNREFUSED`);
    }
    const badUrl = await runCli(['batch', 'list', '--base-url', 'not a url']);
    expect(badUrl.code).toBe(2);
  });
});
