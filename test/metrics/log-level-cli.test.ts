/**
 * The logging flags of the built `batchgate serve` (issue 8 point 5): `--log-level`, LiteLLM's
 * `--detailed_debug` and `LITELLM_LOG` set pino's level, and secrets stay redacted at debug.
 * Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { BATCHGATE_BIN, REPO_ROOT, tempDir, type TempDir } from '../helpers/gateway.js';

const MASTER_KEY = 'sk-master-log-level-0123456789';
const UPSTREAM_KEY = 'sk-upstream-log-level-0123456789';

let fake: FakeUpstream;
let dir: TempDir;
let configPath: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
  dir = await tempDir('bg-log-level-');
  configPath = join(dir.path, 'config.yaml');
  await writeFile(
    configPath,
    `model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.baseUrl}", api_key: ${UPSTREAM_KEY} }
general_settings: { master_key: ${MASTER_KEY} }
router_settings: { redis_host: redis.internal }
`,
  );
});

afterAll(async () => {
  await fake?.close();
  await dir?.remove();
});

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });

interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly req?: { readonly method?: string; readonly url?: string };
  readonly res?: { readonly statusCode?: number };
  readonly responseTime?: number;
}

/**
 * Runs `batchgate serve` with `args` and `env` until it answers its liveness probe, then sends a
 * keyed request and a malformed one (Fastify logs those at debug), stops it and returns its log.
 */
const runAndCollect = async (args: readonly string[], env: Record<string, string> = {}): Promise<{ lines: LogLine[]; text: string }> => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BATCHGATE_BIN, 'serve', '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--data-dir', join(dir.path, `data-${port}`), ...args],
    { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`gateway exited early:\n${text}`);
      const up = await fetch(`${base}/health/liveliness`).then((r) => r.ok, () => false);
      if (up) break;
      if (i > 200) throw new Error(`gateway never answered:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await fetch(`${base}/v1/files`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.resume();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
  return { lines, text };
};

const levels = (lines: readonly LogLine[]): Set<number> => new Set(lines.map((l) => l.level));
const WARN = 40;
const INFO = 30;
const DEBUG = 20;

describe('log level flags', () => {
  it('info by default: no debug lines; the ignored LiteLLM setting is warned about once', async () => {
    const { lines } = await runAndCollect([]);
    expect(levels(lines).has(INFO)).toBe(true);
    expect(levels(lines).has(DEBUG)).toBe(false);
    expect(lines.filter((l) => l.level === WARN && l.msg?.includes('router_settings.redis_host'))).toHaveLength(1);
  });

  it('logs one line per request at info, with its method, URL, status and time', async () => {
    const { lines, text } = await runAndCollect([]);
    // Through Fastify's log controller, not its deprecated disableRequestLogging (a warning per start).
    expect(text).not.toContain('FSTDEP');
    const files = lines.filter((l) => l.req?.url === '/v1/files');
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ level: INFO, msg: 'request completed', req: { method: 'GET' }, res: { statusCode: 200 } });
    expect(files[0]!.responseTime).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
  });

  it('--detailed_debug logs at debug, and the keys sent stay out of the log', async () => {
    const { lines, text } = await runAndCollect(['--detailed_debug']);
    expect(levels(lines).has(DEBUG)).toBe(true);
    // The incoming line is back at debug, to find a request that never finishes.
    expect(lines.filter((l) => l.req?.url === '/v1/files').map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(text).not.toContain(MASTER_KEY);
    expect(text).not.toContain(UPSTREAM_KEY);
  });

  it('--log-level warn drops info lines and keeps warnings', async () => {
    const { lines } = await runAndCollect(['--log-level', 'warn']);
    expect(lines.length).toBeGreaterThan(0);
    expect(Math.min(...lines.map((l) => l.level))).toBe(WARN);
  });

  it('LITELLM_LOG=ERROR drops warnings too; --log-level beats it', async () => {
    const quiet = await runAndCollect([], { LITELLM_LOG: 'ERROR' });
    expect(quiet.lines.filter((l) => l.level < 50)).toEqual([]);
    const loud = await runAndCollect(['--log-level', 'DEBUG'], { LITELLM_LOG: 'ERROR' });
    expect(levels(loud.lines).has(DEBUG)).toBe(true);
  });

  it('a bad --log-level stops start-up naming the flag', async () => {
    const child = spawn(process.execPath, [BATCHGATE_BIN, 'serve', '--config', configPath, '--log-level', 'loud', '--data-dir', join(dir.path, 'bad')], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, text).toBe(2);
    expect(text).toContain('--log-level must be one of fatal, error, warn, info, debug, trace');
  });
});
