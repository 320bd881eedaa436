/**
 * The tenant isolation matrix: keys A and B (different teams), C (A's team), D and E (no team)
 * and the master key, × every files and batches route, × every object kind (input file, batch, output
 * file). A key sees what it created and what its team created; the master key sees everything;
 * anything else answers exactly like an id that does not exist (same status, same body), on
 * retrieve, content, cancel, delete, batch create, and in lists.
 *
 * Every cell is recorded as "<status>[ <normalised error body>]" and the whole matrix is compared
 * at once, so a failure shows every wrong cell by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHEAP, MASTER_KEY, jsonl, startSuite, type Api, type BatchReply, type Suite } from './keys-support.js';

type Who = 'master' | 'A' | 'B' | 'C' | 'D' | 'E';
type Owner = Who;
/** Every principal also owns objects: the master key's own must stay invisible to keys. */
const PRINCIPALS: readonly Who[] = ['master', 'A', 'B', 'C', 'D', 'E'];
const OWNERS = PRINCIPALS;
const KEYS = ['A', 'B', 'C', 'D', 'E'] as const;
/** D and E have no team: their objects must not be shared through a null team (LiteLLM's None == None). */
const TEAM: Readonly<Record<Who, string | null>> = { master: null, A: 'team-1', B: 'team-2', C: 'team-1', D: null, E: null };

/** The rule under test, stated independently of the code. */
const sees = (p: Who, owner: Who): boolean => p === 'master' || p === owner || (TEAM[p] !== null && TEAM[p] === TEAM[owner]);

const UNKNOWN_FILE = 'file-000000000000000000000000';
const UNKNOWN_BATCH = 'batch_000000000000000000000000';

interface Owned {
  readonly id: string;
  readonly owner: Who;
}

describe('tenant isolation matrix', () => {
  let suite: Suite;
  let api: Api;
  const keyOf: Record<Who, string> = { master: MASTER_KEY, A: '', B: '', C: '', D: '', E: '' };
  /** Every file and batch that exists, with its owner: the truth lists are checked against. */
  const files: Owned[] = [];
  const batches: Owned[] = [];
  const input = {} as Record<Owner, string>;
  const output = {} as Record<Owner, string>;
  const done = {} as Record<Owner, string>;
  const live = {} as Record<Owner, string>;

  /** "<status>" for a success, "<status> <body with the id replaced>" for an error. */
  const cell = async (who: Who, method: string, path: string, id: string, json?: unknown): Promise<string> => {
    const res = await api.call(method, path, keyOf[who], json);
    if (res.status < 400) return String(res.status);
    return `${res.status} ${JSON.stringify(res.body).replaceAll(id, '<id>')}`;
  };

  const uploadAs = async (who: Who): Promise<string> => {
    const id = await api.uploadOk(keyOf[who], jsonl([CHEAP, CHEAP]), { target_model_names: CHEAP });
    files.push({ id, owner: who });
    return id;
  };

  const batchAs = async (who: Who, fileId: string): Promise<string> => {
    const batch = await api.createBatchOk(keyOf[who], fileId);
    batches.push({ id: batch.id, owner: who });
    return batch.id;
  };

  /** Completes a batch upstream and retrieves it as its owner, which mints its output file. */
  const complete = async (who: Who, batchId: string): Promise<string> => {
    const record = await suite.gw.gateway.store.batches.get(batchId);
    if (record === undefined) throw new Error(`no batch ${batchId}`);
    await suite.fake.advance(record.upstreamRef, 'completed');
    const res = await api.call<BatchReply>('GET', `/v1/batches/${batchId}`, keyOf[who]);
    const outputId = res.body.output_file_id;
    if (res.body.status !== 'completed' || outputId === null) throw new Error(`batch ${batchId} did not complete: ${JSON.stringify(res.body)}`);
    files.push({ id: outputId, owner: who });
    return outputId;
  };

  /** What an unknown id answers on a route: the body every invisible cell must repeat. */
  const unknownAnswer = (method: string, path: string, id: string, json?: unknown): Promise<string> => cell('master', method, path, id, json);

  const listed = async (who: Who, path: string): Promise<string[]> => {
    const res = await api.call<{ data: Array<{ id: string }>; has_more: boolean }>('GET', path, keyOf[who]);
    expect(res.status).toBe(200);
    expect(res.body.has_more).toBe(false);
    return res.body.data.map((o) => o.id).sort();
  };

  const visibleIds = (who: Who, objects: readonly Owned[]): string[] =>
    objects.filter((o) => sees(who, o.owner)).map((o) => o.id).sort();

  beforeAll(async () => {
    suite = await startSuite({ fakeAutoProgress: false });
    api = suite.api;
    await api.newTeam({ team_id: 'team-1' });
    await api.newTeam({ team_id: 'team-2' });
    for (const who of KEYS) {
      const team = TEAM[who];
      keyOf[who] = (await api.generateKey({ models: [CHEAP], key_alias: `key-${who}`, ...(team === null ? {} : { team_id: team }) })).key;
    }
    for (const who of OWNERS) {
      input[who] = await uploadAs(who);
      done[who] = await batchAs(who, input[who]);
      output[who] = await complete(who, done[who]);
      live[who] = await batchAs(who, input[who]);
    }
  });

  afterAll(async () => {
    await suite?.close();
  });

  it('reads: retrieve and content of input and output files, retrieve of batches, cancel of a finished batch', async () => {
    const routes: ReadonlyArray<{ name: string; method: string; path: (id: string) => string; ids: Record<Owner, string>; unknown: string; visible: string }> = [
      { name: 'GET file (input)', method: 'GET', path: (id) => `/v1/files/${id}`, ids: input, unknown: UNKNOWN_FILE, visible: '200' },
      { name: 'GET file content (input)', method: 'GET', path: (id) => `/v1/files/${id}/content`, ids: input, unknown: UNKNOWN_FILE, visible: '200' },
      { name: 'GET file (output)', method: 'GET', path: (id) => `/v1/files/${id}`, ids: output, unknown: UNKNOWN_FILE, visible: '200' },
      { name: 'GET file content (output)', method: 'GET', path: (id) => `/v1/files/${id}/content`, ids: output, unknown: UNKNOWN_FILE, visible: '200' },
      { name: 'GET batch (completed)', method: 'GET', path: (id) => `/v1/batches/${id}`, ids: done, unknown: UNKNOWN_BATCH, visible: '200' },
      { name: 'GET batch (in progress)', method: 'GET', path: (id) => `/v1/batches/${id}`, ids: live, unknown: UNKNOWN_BATCH, visible: '200' },
      {
        name: 'POST cancel (completed batch)',
        method: 'POST',
        path: (id) => `/v1/batches/${id}/cancel`,
        ids: done,
        unknown: UNKNOWN_BATCH,
        // The owner's side learns the batch is finished; nobody else learns it exists.
        visible: '400 {"error":{"message":"Cannot cancel batch <id>: its status is already \'completed\'.","type":"invalid_request_error","param":"batch_id","code":"invalid_state"}}',
      },
    ];
    const actual: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const route of routes) {
      const unknown = await unknownAnswer(route.method, route.path(route.unknown), route.unknown);
      expect(unknown).toMatch(/^404 /);
      for (const who of PRINCIPALS) {
        for (const owner of OWNERS) {
          const id = route.ids[owner];
          const name = `${who} × ${route.name} of ${owner}`;
          actual[name] = await cell(who, route.method, route.path(id), id);
          expected[name] = sees(who, owner) ? route.visible : unknown;
        }
      }
    }
    expect(actual).toEqual(expected);
  });

  it('lists: each principal lists exactly the files and batches it may see', async () => {
    const actual: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    for (const who of PRINCIPALS) {
      actual[`${who} files`] = await listed(who, '/v1/files');
      expected[`${who} files`] = visibleIds(who, files);
      actual[`${who} batches`] = await listed(who, '/v1/batches?limit=100');
      expected[`${who} batches`] = visibleIds(who, batches);
    }
    expect(actual).toEqual(expected);
    // A key without a team: its own objects and nothing else.
    expect(actual['D files']).toEqual([input.D, output.D].sort());
    expect(actual['D batches']).toEqual([done.D, live.D].sort());
  });

  it('lists: an `after` cursor naming another tenant’s object is refused like an unknown one', async () => {
    const unknownFile = await unknownAnswer('GET', `/v1/files?after=${UNKNOWN_FILE}`, UNKNOWN_FILE);
    const unknownBatch = await unknownAnswer('GET', `/v1/batches?after=${UNKNOWN_BATCH}`, UNKNOWN_BATCH);
    expect(await cell('B', 'GET', `/v1/files?after=${input.A}`, input.A)).toBe(unknownFile);
    expect(await cell('B', 'GET', `/v1/batches?after=${done.A}`, done.A)).toBe(unknownBatch);
    expect(await cell('C', 'GET', `/v1/files?after=${input.A}`, input.A)).toBe('200');
  });

  it('batch create: a principal may start a batch from every input file it sees, and no other', async () => {
    const body = (id: string) => ({ input_file_id: id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const unknown = await unknownAnswer('POST', '/v1/batches', UNKNOWN_FILE, body(UNKNOWN_FILE));
    expect(unknown).toMatch(/^400 /);
    const actual: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const who of PRINCIPALS) {
      for (const owner of OWNERS) {
        const name = `${who} × POST batches from input of ${owner}`;
        const res = await api.call<BatchReply>('POST', '/v1/batches', keyOf[who], body(input[owner]));
        if (res.status === 200) batches.push({ id: res.body.id, owner: who }); // owned by its creator
        actual[name] = res.status < 400 ? String(res.status) : `${res.status} ${JSON.stringify(res.body).replaceAll(input[owner], '<id>')}`;
        expected[name] = sees(who, owner) ? '200' : unknown;
      }
    }
    expect(actual).toEqual(expected);
  });

  it('cancel: a principal may cancel every in-progress batch it sees, and no other', async () => {
    // One batch per (owner, principal that sees it), so every allowed cancel acts on a live batch.
    const target = new Map<string, string>();
    for (const owner of OWNERS) {
      for (const who of PRINCIPALS.filter((p) => sees(p, owner))) target.set(`${owner}/${who}`, await batchAs(owner, input[owner]));
    }
    const unknown = await unknownAnswer('POST', `/v1/batches/${UNKNOWN_BATCH}/cancel`, UNKNOWN_BATCH);
    const actual: Record<string, string> = {};
    const expected: Record<string, string> = {};
    // Refusals first, while every batch is still live.
    for (const who of PRINCIPALS) {
      for (const owner of OWNERS) {
        if (sees(who, owner)) continue;
        const id = target.get(`${owner}/A`) ?? target.get(`${owner}/master`) ?? '';
        actual[`${who} × cancel batch of ${owner}`] = await cell(who, 'POST', `/v1/batches/${id}/cancel`, id);
        expected[`${who} × cancel batch of ${owner}`] = unknown;
      }
    }
    for (const [pair, id] of target) {
      const [owner, who] = pair.split('/') as [Owner, Who];
      const res = await api.call<BatchReply>('POST', `/v1/batches/${id}/cancel`, keyOf[who]);
      actual[`${who} × cancel batch of ${owner}`] = `${res.status} ${res.body.status}`;
      expected[`${who} × cancel batch of ${owner}`] = '200 cancelling';
    }
    expect(actual).toEqual(expected);
    expect(Object.keys(actual)).toHaveLength(PRINCIPALS.length * OWNERS.length);
  });

  it('delete: a principal may delete every input and output file it sees, and no other', async () => {
    // One input file and one output file per (owner, principal that sees it).
    const inputs = new Map<string, string>();
    const outputs = new Map<string, string>();
    for (const owner of OWNERS) {
      for (const who of PRINCIPALS.filter((p) => sees(p, owner))) {
        inputs.set(`${owner}/${who}`, await uploadAs(owner));
        outputs.set(`${owner}/${who}`, await complete(owner, await batchAs(owner, input[owner])));
      }
    }
    const unknown = await unknownAnswer('DELETE', `/v1/files/${UNKNOWN_FILE}`, UNKNOWN_FILE);
    const actual: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [kind, map] of [
      ['input', inputs],
      ['output', outputs],
    ] as const) {
      for (const who of PRINCIPALS) {
        for (const owner of OWNERS) {
          if (sees(who, owner)) continue;
          const id = map.get(`${owner}/master`) ?? '';
          actual[`${who} × delete ${kind} file of ${owner}`] = await cell(who, 'DELETE', `/v1/files/${id}`, id);
          expected[`${who} × delete ${kind} file of ${owner}`] = unknown;
        }
      }
      for (const [pair, id] of map) {
        const [owner, who] = pair.split('/') as [Owner, Who];
        actual[`${who} × delete ${kind} file of ${owner}`] = await cell(who, 'DELETE', `/v1/files/${id}`, id);
        expected[`${who} × delete ${kind} file of ${owner}`] = '200';
        files.splice(files.findIndex((f) => f.id === id), 1);
        // Gone for its owner too, and answered like any unknown id.
        expect(await cell(owner, 'GET', `/v1/files/${id}`, id)).toBe(await unknownAnswer('GET', `/v1/files/${UNKNOWN_FILE}`, UNKNOWN_FILE));
      }
    }
    expect(actual).toEqual(expected);
  });

  it('lists again after creates, cancels and deletes: still exactly what each principal may see', async () => {
    for (const who of PRINCIPALS) {
      expect({ who, files: await listed(who, '/v1/files') }).toEqual({ who, files: visibleIds(who, files) });
      expect({ who, batches: await listed(who, '/v1/batches?limit=100') }).toEqual({ who, batches: visibleIds(who, batches) });
    }
  });
});
