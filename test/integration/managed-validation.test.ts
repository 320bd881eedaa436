/**
 * Validation on the way through (issue 3, "What must work" 2): every line of a managed upload is
 * checked before any byte goes upstream. A bad line at the start, in the middle or at the end
 * answers 400 in the OpenAI envelope naming the line and the problem, and nothing is stored
 * anywhere: no upstream received an upload, the gateway lists no file, and the spooled upload is
 * gone from disk.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { ENV, GROUP, MASTER_KEY, OTHER_GROUP, line, managedYaml, newClient, startFakes, uploadManaged, type Fakes } from './managed-support.js';

const LINES = 5;
const POSITIONS = { first: 1, middle: 3, last: 5 } as const;
type Position = keyof typeof POSITIONS;

interface Case {
  readonly name: string;
  readonly code: string;
  readonly param: string | null;
  /** The bad line to put at 1-based position `at` of a file of LINES good lines. */
  readonly bad: (at: number) => string;
  /** Positions where the problem can exist (a duplicate needs an earlier line to repeat). */
  readonly positions: readonly Position[];
  /** Text the message must contain besides the line number. */
  readonly mentions: string;
}

const withBody = (at: number, patch: Record<string, unknown>): string =>
  JSON.stringify({ ...(JSON.parse(line(at - 1)) as Record<string, unknown>), ...patch });

const CASES: readonly Case[] = [
  {
    name: 'a line that is not JSON',
    code: 'invalid_json_line',
    param: null,
    bad: (at) => `{"custom_id": "req-${at - 1}", "method": "POST", `,
    positions: ['first', 'middle', 'last'],
    mentions: 'JSON',
  },
  {
    name: 'a JSON value that is not an object',
    code: 'invalid_request',
    param: null,
    bad: () => '["not", "an", "object"]',
    positions: ['first', 'middle', 'last'],
    mentions: 'object',
  },
  {
    name: 'a repeated custom_id',
    code: 'duplicate_custom_id',
    param: 'custom_id',
    bad: () => line(99, { customId: 'req-0' }),
    positions: ['middle', 'last'],
    mentions: 'req-0',
  },
  {
    name: 'body.model naming a group the file does not target',
    code: 'model_mismatch',
    param: 'body.model',
    bad: (at) => line(at - 1, { model: OTHER_GROUP }),
    positions: ['first', 'middle', 'last'],
    mentions: OTHER_GROUP,
  },
  {
    name: 'body.model naming no configured group at all',
    code: 'model_mismatch',
    param: 'body.model',
    bad: (at) => line(at - 1, { model: 'gpt-unknown' }),
    positions: ['first', 'middle', 'last'],
    mentions: 'gpt-unknown',
  },
  {
    name: 'a missing body.model',
    code: 'invalid_request',
    param: 'body.model',
    bad: (at) => withBody(at, { body: { messages: [{ role: 'user', content: 'hi' }] } }),
    positions: ['first', 'middle', 'last'],
    mentions: 'body.model',
  },
  {
    name: 'a missing custom_id',
    code: 'invalid_request',
    param: 'custom_id',
    bad: (at) => withBody(at, { custom_id: undefined }),
    positions: ['first', 'middle', 'last'],
    mentions: 'custom_id',
  },
  {
    name: 'a method other than POST',
    code: 'invalid_request',
    param: 'method',
    bad: (at) => withBody(at, { method: 'GET' }),
    positions: ['first', 'middle', 'last'],
    mentions: 'POST',
  },
  {
    name: 'a url that is no batch endpoint',
    code: 'invalid_request',
    param: 'url',
    bad: (at) => withBody(at, { url: '/v1/fine_tuning/jobs' }),
    positions: ['first', 'middle', 'last'],
    mentions: 'url',
  },
  {
    name: 'a url differing from the lines before it',
    code: 'url_mismatch',
    param: 'url',
    bad: (at) => withBody(at, { url: '/v1/embeddings' }),
    positions: ['middle', 'last'],
    mentions: '/v1/embeddings',
  },
  {
    name: 'a missing body',
    code: 'invalid_request',
    param: 'body',
    bad: (at) => withBody(at, { body: undefined }),
    positions: ['first', 'middle', 'last'],
    mentions: 'body',
  },
  {
    name: 'stream: true',
    code: 'invalid_request',
    param: 'body.stream',
    bad: (at) => withBody(at, { body: { model: GROUP, stream: true, messages: [] } }),
    positions: ['first', 'middle', 'last'],
    mentions: 'stream',
  },
];

/** LINES good lines with the bad one at `at`; the file ends without a newline when it is last. */
const fileWith = (bad: string, at: number): string => {
  const lines = Array.from({ length: LINES }, (_, i) => (i + 1 === at ? bad : line(i)));
  return at === LINES ? lines.join('\n') : `${lines.join('\n')}\n`;
};

const postUpload = async (url: string, content: string, fields: Record<string, string>): Promise<Response> => {
  const form = new FormData();
  form.append('file', new Blob([content]), 'requests.jsonl');
  form.append('purpose', 'batch');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return fetch(`${url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}` }, body: form });
};

describe('a bad line in a managed upload', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({ yaml: managedYaml(fakes), env: ENV });
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  /** Nothing anywhere: no upstream request at all, no gateway file, no spool file left behind. */
  afterEach(async () => {
    for (const fake of fakes.all) expect(fake.requests).toEqual([]);
    expect((await newClient(gw.url).files.list()).data).toEqual([]);
    const spool = await readdir(gw.gateway.spoolDir).catch(() => []);
    expect(spool).toEqual([]);
  });

  const rows = CASES.flatMap((c) => c.positions.map((position) => ({ ...c, position, at: POSITIONS[position] })));

  it.each(rows)('$name at the $position line answers 400 $code naming line $at', async ({ bad, at, code, param, mentions }) => {
    const res = await postUpload(gw.url, fileWith(bad(at), at), { target_model_names: GROUP });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param, code });
    expect(body.error.message).toMatch(new RegExp(`^Line ${at}: `));
    expect(body.error.message).toContain(mentions);
  });

  it('counts blank lines in the line number, as an editor does', async () => {
    const content = `${line(0)}\n\n${line(1)}\n${line(2, { customId: 'req-0' })}\n`;
    const res = await postUpload(gw.url, content, { target_model_names: GROUP });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'duplicate_custom_id', message: expect.stringMatching(/^Line 4: /) } });
  });

  it('reports the first bad line when there are several', async () => {
    const content = `${line(0)}\n${line(1, { model: 'nope' })}\n{oops\n`;
    const res = await postUpload(gw.url, content, { target_model_names: GROUP });
    expect(await res.json()).toMatchObject({ error: { code: 'model_mismatch', message: expect.stringMatching(/^Line 2: /) } });
  });

  it('surfaces the same envelope through the openai client', async () => {
    const client = newClient(gw.url);
    const error = await uploadManaged(client, fileWith('not json', POSITIONS.middle), GROUP).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'invalid_json_line', param: null });
    expect((error as Error).message).toContain('Line 3');
  });

  it('refuses a file with no request line, a non-.jsonl name and an unknown target group, storing nothing', async () => {
    const empty = await postUpload(gw.url, '\n\n', { target_model_names: GROUP });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: 'empty_file' } });

    const form = new FormData();
    form.append('file', new Blob([`${line(0)}\n`]), 'requests.txt');
    form.append('purpose', 'batch');
    form.append('target_model_names', GROUP);
    const wrongName = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}` }, body: form });
    expect(wrongName.status).toBe(400);
    expect(await wrongName.json()).toMatchObject({ error: { code: 'invalid_file_format', param: 'file' } });

    const unknown = await postUpload(gw.url, `${line(0)}\n`, { target_model_names: `${GROUP},no-such-group` });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: 'model_not_found', param: 'target_model_names', message: expect.stringContaining('no-such-group') } });
  });
});
