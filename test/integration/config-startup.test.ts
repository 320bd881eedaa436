/**
 * Start-up of the built `batchgate` process (issue 2 points 1 and 2), as users run it: a missing
 * environment variable or a misspelt key stops it with an exit code ≠ 0 and a message naming the
 * problem; with no `--config` and `OPENAI_API_KEY` set it serves a default OpenAI deployment (here
 * pointed at a fake with `OPENAI_BASE_URL`); SIGTERM and SIGINT end it with exit code 0.
 * Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { BATCHGATE_BIN, REPO_ROOT, spawnGateway, tempDir, type TempDir } from '../helpers/gateway.js';
import { bodyOf, idOf, jsonl, WireClient } from '../conformance/wire-client.js';

const UPSTREAM_KEY = 'sk-upstream-config-startup-0123456789';

interface Ended {
  /** The exit code, or 'listening' when the process started although it should not have. */
  readonly code: number | null | 'listening';
  readonly output: string;
}

/** Runs `batchgate serve` until it exits; a process that starts listening is stopped and reported. */
const runToExit = (args: readonly string[], env: Record<string, string>, dataDir: string): Promise<Ended> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BATCHGATE_BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let listening = false;
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!listening && output.includes('batchgate listening')) {
        listening = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: listening ? 'listening' : code, output }));
  });

let fake: FakeUpstream;
let dir: TempDir;

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
  dir = await tempDir('bg-config-');
});

afterAll(async () => {
  await fake?.close();
  await dir?.remove();
});

const configFile = async (name: string, yaml: string): Promise<string> => {
  const path = join(dir.path, name);
  await writeFile(path, yaml);
  return path;
};

/** A port nothing listens on (bound, then released). */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};

/** Whether a PostgreSQL server answers at the URL's host and port (the missing-database case needs one). */
const reachable = (url: URL): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 5432) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const deployment = (apiKey: string): string => `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: ${apiKey}
`;

describe('start-up stops on a bad configuration', () => {
  it('a missing environment variable is named, and the exit code is not 0', async () => {
    const path = await configFile('missing-env.yaml', deployment('os.environ/BG_TEST_UNSET_UPSTREAM_KEY'));
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-missing-env'));
    expect(ended.code, ended.output).not.toBe(0);
    expect(ended.code, ended.output).not.toBe('listening');
    expect(ended.output).toContain('environment variable BG_TEST_UNSET_UPSTREAM_KEY is not set');
    expect(ended.output).toContain('model_list');
  });

  it('every missing variable is reported in one run', async () => {
    const path = await configFile(
      'missing-two.yaml',
      `${deployment('os.environ/BG_TEST_UNSET_A')}general_settings:\n  master_key: os.environ/BG_TEST_UNSET_B\n`,
    );
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-missing-two'));
    expect(ended.code, ended.output).not.toBe(0);
    expect(ended.output).toContain('BG_TEST_UNSET_A');
    expect(ended.output).toContain('BG_TEST_UNSET_B');
  });

  it('a misspelt key of ours is reported with the key it probably means', async () => {
    const path = await configFile('typo.yaml', `${deployment(UPSTREAM_KEY)}general_settings:\n  master_kye: sk-typo\n`);
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-typo'));
    expect(ended.code, ended.output).not.toBe(0);
    expect(ended.code, ended.output).not.toBe('listening');
    expect(ended.output).toContain("general_settings: unknown key 'master_kye' — did you mean 'master_key'?");
    // The value next to the typo is not echoed.
    expect(ended.output).not.toContain('sk-typo');
  });

  it('a misspelt litellm_params is reported', async () => {
    const path = await configFile(
      'typo-params.yaml',
      `model_list:\n  - model_name: gpt-4o-mini\n    litelm_params:\n      model: openai/gpt-4o-mini\n      api_key: ${UPSTREAM_KEY}\n`,
    );
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-typo-params'));
    expect(ended.code, ended.output).not.toBe(0);
    expect(ended.output).toMatch(/unknown key 'litelm_params' — did you mean 'litellm_params'\?/);
  });

  it('an unknown provider stops start-up naming the deployment and the provider it probably means', async () => {
    const path = await configFile('azzure.yaml', `model_list:\n  - model_name: eu\n    litellm_params:\n      model: azzure/gpt-4o-mini\n      api_base: https://r.openai.azure.com\n`);
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-azzure'));
    expect(ended.code, ended.output).toBe(2);
    expect(ended.output).toContain("provider 'azzure' (model_name 'eu') is not supported by batchgate");
    expect(ended.output).toContain("did you mean 'azure/gpt-4o-mini'?");
  });

  it('a deployment missing a required param stops start-up naming it and the fix (Azure without api_base)', async () => {
    const path = await configFile('azure-no-base.yaml', `model_list:\n  - model_name: eu\n    litellm_params:\n      model: azure/gpt-4o-mini\n      api_key: k\n`);
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-azure-no-base'));
    expect(ended.code, ended.output).toBe(2);
    expect(ended.output).toMatch(/deployment '[^']+' \(model_name 'eu', azure\/gpt-4o-mini\): litellm_params.api_base is required for azure/);
  });

  it('a Vertex AI deployment with no bucket anywhere stops start-up naming every place a bucket can come from', async () => {
    const key = JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: 'k', private_key: '-----BEGIN PRIVATE KEY-----\\nx\\n-----END PRIVATE KEY-----\\n', client_email: 'sa@p.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token' });
    const path = await configFile('vertex-no-bucket.yaml', `model_list:\n  - model_name: gemini\n    litellm_params:\n      model: vertex_ai/gemini-2.5-flash\n      vertex_project: p\n      vertex_credentials: ${JSON.stringify(key)}\n`);
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-vertex-no-bucket'));
    expect(ended.code, ended.output).toBe(2);
    for (const place of ['gcs_bucket_name', 'litellm_settings.gcs_bucket_name', 'GCS_BUCKET_NAME']) expect(ended.output).toContain(place);
  });

  it('a Bedrock deployment without its batch role stops start-up saying how to set one', async () => {
    const path = await configFile('bedrock-no-role.yaml', `model_list:\n  - model_name: claude\n    litellm_params:\n      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0\n      aws_region_name: us-east-1\n      s3_bucket_name: my-bucket\n`);
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-bedrock-no-role'));
    expect(ended.code, ended.output).toBe(2);
    expect(ended.output).toContain('aws_batch_role_arn');
    expect(ended.output).toContain('AWS_BATCH_ROLE_ARN');
  });

  it('an os.environ/ reference to a variable set but empty stops start-up naming it', async () => {
    const path = await configFile('empty-env.yaml', deployment('os.environ/BG_TEST_EMPTY_KEY'));
    const ended = await runToExit(['--config', path], { BG_TEST_EMPTY_KEY: '' }, join(dir.path, 'data-empty-env'));
    expect(ended.code, ended.output).toBe(2);
    expect(ended.output).toContain('environment variable BG_TEST_EMPTY_KEY is set but empty');
  });

  const mock = 'model_list:\n  - model_name: m\n    litellm_params: { model: openai/x, mock_response: hi }\n';
  const oneLine = (ended: Ended, expected: string): void => {
    expect(ended.code, ended.output).toBe(1);
    expect(ended.output).toContain(`batchgate: ${expected}`);
    // One line, not a stack trace.
    expect(ended.output).not.toMatch(/\n\s+at /);
    expect(ended.output).not.toContain('Node.js v');
  };

  it('a port already in use is one line naming the port and the fix', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const path = await configFile('port-taken.yaml', mock);
      const child = spawn(process.execPath, [BATCHGATE_BIN, 'serve', '--config', path, '--port', String(port), '--host', '127.0.0.1', '--data-dir', join(dir.path, 'data-port')], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      oneLine({ code, output }, `port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('an unreachable PostgreSQL and a missing database are one line each', async () => {
    const refused = await configFile('pg-refused.yaml', `${mock}general_settings:\n  database_url: postgres://postgres@127.0.0.1:${await closedPort()}/test\n`);
    oneLine(await runToExit(['--config', refused], {}, join(dir.path, 'data-pg-refused')), 'cannot reach PostgreSQL at 127.0.0.1:');
    const pgUrl = new URL(process.env['BATCHGATE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
    if (!(await reachable(pgUrl))) return;
    pgUrl.pathname = '/batchgate_no_such_database';
    const missing = await configFile('pg-missing.yaml', `${mock}general_settings:\n  database_url: ${pgUrl.toString()}\n`);
    oneLine(await runToExit(['--config', missing], {}, join(dir.path, 'data-pg-missing')), 'PostgreSQL: database "batchgate_no_such_database" does not exist');
  });

  it('no master key logs a prominent warning that the gateway is open', async () => {
    const path = await configFile('open.yaml', mock);
    const child = spawn(process.execPath, [BATCHGATE_BIN, 'serve', '--config', path, '--port', '0', '--host', '127.0.0.1', '--data-dir', join(dir.path, 'data-open')], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve) => {
      const collect = (c: Buffer): void => {
        output += c.toString();
        if (output.includes('NO MASTER KEY')) resolve();
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('close', () => resolve());
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    const warning = output.split('\n').find((l) => l.includes('NO MASTER KEY'));
    expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 40, msg: expect.stringContaining('open to anyone who can reach it') });
  });

  it('no config and no OPENAI_API_KEY says what to do', async () => {
    const ended = await runToExit([], {}, join(dir.path, 'data-nothing'));
    expect(ended.code, ended.output).not.toBe(0);
    expect(ended.output).toContain('no deployments: pass --config <file> or set OPENAI_API_KEY');
  });

  it('a config file that does not exist is named', async () => {
    const path = join(dir.path, 'nope.yaml');
    const ended = await runToExit(['--config', path], {}, join(dir.path, 'data-nope'));
    expect(ended.code, ended.output).not.toBe(0);
    expect(ended.output).toContain(`cannot read config file ${path}: file not found`);
  });
});

describe('without --config, with OPENAI_API_KEY', () => {
  it('serves a default OpenAI deployment with that key, and SIGTERM exits 0', async () => {
    const gateway = await spawnGateway({
      dataDir: join(dir.path, 'data-default'),
      env: { OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: fake.baseUrl },
    });
    try {
      const api = new WireClient(gateway.url);
      const before = fake.requests.length;
      const fileId = idOf(await api.upload('/v1/files', { content: jsonl('gpt-4o-mini', 2) }));
      const batch = bodyOf(await api.call('POST', '/v1/batches', { json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' } }));
      expect(batch).toMatchObject({ object: 'batch', input_file_id: fileId });
      const received = fake.requests.slice(before);
      expect(received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/files', 'POST /v1/batches']);
      for (const r of received) expect(r.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    } finally {
      const code = await gateway.stop();
      expect(code, gateway.output()).toBe(0);
    }
    expect(gateway.output()).toContain('SIGTERM');
  });

  it('SIGINT exits 0 too', async () => {
    const gateway = await spawnGateway({
      dataDir: join(dir.path, 'data-sigint'),
      env: { OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: fake.baseUrl },
    });
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    expect((await fetch(`${gateway.url}/health/liveliness`)).status).toBe(200);
    gateway.child.kill('SIGINT');
    expect(await exited, gateway.output()).toBe(0);
  });
});
