/**
 * `batchgate batch …` as a process against a running gateway (in process, on a config whose
 * batches run offline): submit and wait, the progress output with and without a terminal,
 * `--json`, results, retry-failed, list/get/cancel, Ctrl-C, and the exit code of each outcome.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat, type FakeChatRequest } from '../fakes/fake-chat.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import {
  MASTER_KEY,
  assertBuilt,
  batchOf,
  cliYaml,
  customIds,
  fileText,
  gatewayEnv,
  requestLines,
  runCli,
  runCliInPty,
  startCli,
} from './cli-support.js';

/** util-linux `script` gives the CLI a pseudo-terminal; without it the TTY test cannot run. */
const hasScript = spawnSync('script', ['--version']).status === 0;

const lastUserText = (r: FakeChatRequest): string => {
  const messages = (r.body?.['messages'] ?? []) as Array<{ content: string }>;
  return messages.at(-1)?.content ?? '';
};

describe('batchgate batch', () => {
  let chat: FakeChat;
  let gw: InProcessGateway;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    chat = await startFakeChat({ apiKey: 'sk-upstream-cli' });
    // Lines that say "fail" are refused by the upstream (400: not retried, so in the error file);
    // lines that say "slow" take a while, so a batch of them is still running when looked at.
    chat.setFault({ when: (r) => lastUserText(r).includes('fail'), action: { status: 400 } });
    chat.setFault({ when: (r) => lastUserText(r).includes('slow'), action: { slowMs: 1500 } });
    gw = await startGateway({ yaml: cliYaml(chat.url) });
    dir = await mkdtemp(join(tmpdir(), 'bg-cli-'));
    // With /v1, as OPENAI_BASE_URL is usually written; other tests use the bare root.
    env = gatewayEnv(`${gw.url}/v1`);
  });
  afterAll(async () => {
    await chat?.close();
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const input = async (name: string, content: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it('submit --wait uploads to the model group, shows one plain line per change without a terminal, and saves every custom_id next to the input', async () => {
    const path = await input('plain.jsonl', requestLines(25, 'demo'));
    const run = await runCli(['batch', 'submit', path, '--model', 'demo', '--wait'], { env });
    expect(run.code, run.stderr).toBe(0);

    const output = await readFile(join(dir, 'plain.output.jsonl'), 'utf8');
    expect(customIds(output).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `req-${i}`).sort());
    for (const line of output.trim().split('\n')) {
      expect((JSON.parse(line) as { response: { status_code: number } }).response.status_code).toBe(200);
    }
    await expect(readFile(join(dir, 'plain.errors.jsonl'), 'utf8')).rejects.toThrow();

    // No bar redraws: plain lines, each different from the one before, the last at 100%.
    expect(run.stderr).not.toContain('\r');
    const progress = run.stderr.split('\n').filter((l) => /^batch_\S+ (validating|in_progress|finalizing|completed) /.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.replace(/ after .*$/, '')).not.toBe(progress[i - 1]!.replace(/ after .*$/, ''));
    expect(progress.at(-1)).toMatch(/completed 25\/25 \(25 completed, 0 failed\) 100%/);
    expect(run.stdout).toMatch(/completed: 25\/25/);
    expect(run.stdout).toContain(join(dir, 'plain.output.jsonl'));
  });

  it.skipIf(!hasScript)('under a pseudo-terminal draws a bar redrawn in place with carriage returns, ending at 100%', async () => {
    const path = await input('tty.jsonl', requestLines(8, 'demo'));
    const run = await runCliInPty(['batch', 'submit', path, '--model', 'demo', '--wait', '--out', join(dir, 'tty-out.jsonl')], { env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Each redraw returns to the start of the line and clears what is left of the old one.
    const redraws = run.stdout.split('\r').filter((s) => s.startsWith('['));
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toContain('\x1b[K');
    expect(redraws.at(-1)).toMatch(/^\[#+\] 100% 8\/8 \(8 completed, 0 failed\) completed \d\d:\d\d/);
    // No plain progress lines on a terminal.
    expect(run.stdout).not.toMatch(/\n?batch_\S+ completed 8\/8 .* after /);
    expect(customIds(await readFile(join(dir, 'tty-out.jsonl'), 'utf8'))).toHaveLength(8);
  });

  it('--json prints only the final batch object on stdout', async () => {
    const path = await input('json.jsonl', requestLines(3, 'demo'));
    const out = join(dir, 'json-results.jsonl');
    const run = await runCli(['batch', 'submit', path, '-m', 'demo', '--wait', '--json', '--out', out, '--metadata', 'team=nlp', '--metadata', 'run=7'], { env });
    expect(run.code, run.stderr).toBe(0);
    const batch = JSON.parse(run.stdout) as { object: string; status: string; request_counts: { total: number }; metadata: Record<string, string> };
    expect(batch).toMatchObject({ object: 'batch', status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
    expect(batch.metadata).toEqual({ team: 'nlp', run: '7', batchgate_model_group: 'demo' });
    expect(customIds(await readFile(out, 'utf8'))).toEqual(['req-0', 'req-1', 'req-2']);

    // Without --wait: the created batch, at once.
    const created = await runCli(['batch', 'submit', path, '-m', 'demo', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    expect((JSON.parse(created.stdout) as { object: string }).object).toBe('batch');
  });

  it('exits 3 when some lines failed, and retry-failed re-runs exactly those lines on the same model group', async () => {
    const failing = new Set([2, 5, 11]);
    const path = await input('mixed.jsonl', requestLines(14, 'local', (i) => (failing.has(i) ? `fail ${i}` : `line ${i}`)));
    const run = await runCli(['batch', 'submit', path, '--model', 'local', '--wait', '--json'], { env });
    expect(run.code, run.stderr).toBe(3);
    const batch = JSON.parse(run.stdout) as { id: string; status: string; request_counts: { failed: number } };
    expect(batch.status).toBe('completed');
    expect(batch.request_counts.failed).toBe(3);
    expect(customIds(await readFile(join(dir, 'mixed.errors.jsonl'), 'utf8')).sort()).toEqual(['req-11', 'req-2', 'req-5']);
    expect(customIds(await readFile(join(dir, 'mixed.output.jsonl'), 'utf8'))).toHaveLength(11);

    // The upstream is fixed; the retry runs only the three lines, unchanged, and they now succeed.
    chat.clearFaults();
    try {
      const out = join(dir, 'retry-out.jsonl');
      const retry = await runCli(['batch', 'retry-failed', batch.id, '--wait', '--json', '--out', out], { env });
      expect(retry.code, retry.stderr).toBe(0);
      const retried = JSON.parse(retry.stdout) as { id: string; input_file_id: string; request_counts: { total: number }; metadata: Record<string, string> };
      expect(retried.id).not.toBe(batch.id);
      expect(retried.request_counts.total).toBe(3);
      expect(retried.metadata).toMatchObject({ batchgate_model_group: 'local', batchgate_retry_of: batch.id });
      // The very lines that failed, in their order; only body.model may differ (the gateway serves
      // managed inputs with the upstream model it placed them on).
      const withoutModel = (l: string): unknown => {
        const parsed = JSON.parse(l) as { body: Record<string, unknown> };
        return { ...parsed, body: { ...parsed.body, model: undefined } };
      };
      const retriedInput = await fileText(gw.url, retried.input_file_id);
      const original = (await readFile(path, 'utf8')).split('\n').filter((l) => /"req-(2|5|11)"/.test(l));
      expect(retriedInput.trim().split('\n').map(withoutModel)).toEqual(original.map(withoutModel));
      expect(customIds(await readFile(out, 'utf8')).sort()).toEqual(['req-11', 'req-2', 'req-5']);

      // A batch with nothing failed has nothing to retry.
      const none = await runCli(['batch', 'retry-failed', retried.id, '--json'], { env });
      expect(none.code, none.stderr).toBe(0);
      expect(JSON.parse(none.stdout)).toBeNull();
    } finally {
      chat.setFault({ when: (r) => lastUserText(r).includes('fail'), action: { status: 400 } });
      chat.setFault({ when: (r) => lastUserText(r).includes('slow'), action: { slowMs: 1500 } });
    }
  });

  it('retry-failed asks for --model when the batch does not say its model group (not made by batch submit)', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const params = { file: await toFile(Buffer.from(requestLines(4, 'local', (i) => (i === 1 ? 'fail 1' : `line ${i}`))), 'sdk.jsonl'), purpose: 'batch', target_model_names: 'local' };
    const file = await openai.files.create(params as OpenAI.FileCreateParams);
    let batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const results = await runCli(['batch', 'results', batch.id, '--wait', '--out', join(dir, 'sdk.out.jsonl'), '--errors', join(dir, 'sdk.err.jsonl')], { env });
    expect(results.code, results.stderr).toBe(3);
    batch = await openai.batches.retrieve(batch.id);
    expect(batch.metadata ?? {}).not.toHaveProperty('batchgate_model_group');

    const refused = await runCli(['batch', 'retry-failed', batch.id], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --model <group>');

    const retried = await runCli(['batch', 'retry-failed', batch.id, '--model', 'local', '--json'], { env });
    expect(retried.code, retried.stderr).toBe(0);
    const created = JSON.parse(retried.stdout) as { input_file_id: string };
    expect(customIds(await fileText(gw.url, created.input_file_id))).toEqual(['req-1']);
  });

  it('list, get and results read batches; results saves to <id>.output.jsonl in the working directory by default', async () => {
    const path = await input('listed.jsonl', requestLines(2, 'demo'));
    const submitted = await runCli(['batch', 'submit', path, '-m', 'demo', '--wait', '--json', '--out', join(dir, 'listed-out.jsonl')], { env });
    const { id } = JSON.parse(submitted.stdout) as { id: string };

    const list = await runCli(['batch', 'list', '--limit', '100', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const page = JSON.parse(list.stdout) as { object: string; data: Array<{ id: string }> };
    expect(page.object).toBe('list');
    expect(page.data.map((b) => b.id)).toContain(id);
    const human = await runCli(['batch', 'list', '--limit', '1'], { env });
    expect(human.stdout).toContain(id);
    expect(human.stdout).toContain('more: batchgate batch list --after');

    const get = await runCli(['batch', 'get', id, '--json'], { env });
    expect((JSON.parse(get.stdout) as { id: string; status: string }).status).toBe('completed');
    const shown = await runCli(['batch', 'get', id], { env });
    expect(shown.stdout).toContain('model group  demo');

    const cwd = await mkdtemp(join(tmpdir(), 'bg-cli-cwd-'));
    try {
      const results = await runCli(['batch', 'results', id], { env, cwd });
      expect(results.code, results.stderr).toBe(0);
      expect(customIds(await readFile(join(cwd, `${id}.output.jsonl`), 'utf8'))).toEqual(['req-0', 'req-1']);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('Ctrl-C stops waiting without cancelling (exit 130); results of a running batch exit 1; cancel then results exit 4', async () => {
    const path = await input('slow.jsonl', requestLines(16, 'local', (i) => `slow ${i}`));
    const waiting = startCli(['batch', 'submit', path, '--model', 'local', '--wait'], { env });
    await waiting.stderrIncludes('waiting for ');
    await waiting.stderrIncludes(' after ');
    waiting.child.kill('SIGINT');
    const stopped = await waiting.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('was NOT cancelled');
    const id = /waiting for (batch_\w+)/.exec(stopped.stderr)![1]!;
    expect(['validating', 'in_progress']).toContain((await batchOf(gw.url, id)).status);

    const early = await runCli(['batch', 'results', id], { env });
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/is still (validating|in_progress): no results yet/);

    const cancel = await runCli(['batch', 'cancel', id, '--json'], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(['cancelling', 'cancelled']).toContain((JSON.parse(cancel.stdout) as { status: string }).status);
    const ended = await runCli(['batch', 'results', id, '--wait', '--json', '--errors', join(dir, 'slow.errors.jsonl'), '--out', join(dir, 'slow.out.jsonl')], { env });
    expect(ended.code, ended.stderr).toBe(4);
    expect((JSON.parse(ended.stdout) as { status: string }).status).toBe('cancelled');
    // The lines it never ran are in the error file, so retry-failed would run them.
    const errors = (await readFile(join(dir, 'slow.errors.jsonl'), 'utf8')).trim().split('\n');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((l) => l.includes('batch_cancelled'))).toBe(true);
  });

  it('a gateway error exits 5 with its message and code; a bad argument exits 2', async () => {
    const missing = await runCli(['batch', 'get', 'batch_doesnotexist'], { env });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/get batch batch_doesnotexist: the gateway answered 404 \(\w+\): .+/);

    const badKey = await runCli(['batch', 'list'], { env: gatewayEnv(gw.url, 'sk-wrong') });
    expect(badKey.code).toBe(5);
    expect(badKey.stderr).toMatch(/answered 401/);

    const noModel = await runCli(['batch', 'submit', join(dir, 'plain.jsonl')], { env });
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain("required option '-m, --model <group>'");
    const noFile = await runCli(['batch', 'submit', join(dir, 'nope.jsonl'), '-m', 'demo'], { env });
    expect(noFile.code).toBe(2);
    const badLimit = await runCli(['batch', 'list', '--limit', 'many'], { env });
    expect(badLimit.code).toBe(2);
  });

  it('reads the base URL and key from OPENAI_BASE_URL / OPENAI_API_KEY, and flags win over the environment', async () => {
    const viaOpenAi = await runCli(['batch', 'list', '--json'], { env: { OPENAI_BASE_URL: `${gw.url}/v1`, OPENAI_API_KEY: MASTER_KEY } });
    expect(viaOpenAi.code, viaOpenAi.stderr).toBe(0);
    const viaFlags = await runCli(['batch', 'list', '--json', '--base-url', gw.url, '--api-key', MASTER_KEY], { env: gatewayEnv('http://127.0.0.1:9', 'sk-wrong') });
    expect(viaFlags.code, viaFlags.stderr).toBe(0);
  });
});
