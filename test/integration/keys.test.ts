/**
 * The key and team management API in LiteLLM's shapes: generate, info, update, delete, list,
 * team new/info/list; who may call what; validation in the OpenAI envelope; expired and deleted
 * keys; and the plain key shown once, never stored, never logged.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway } from '../helpers/gateway.js';
import {
  Api,
  CHEAP,
  MASTER_KEY,
  PRICEY,
  UPSTREAM_KEY,
  configYaml,
  jsonl,
  startLoggingGateway,
  startSuite,
  type ErrorReply,
  type GeneratedKey,
  type Suite,
} from './keys-support.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

interface KeyInfo {
  readonly key: string;
  readonly info: Record<string, unknown>;
}

describe('key and team management API', () => {
  let suite: Suite;
  let api: Api;

  beforeAll(async () => {
    suite = await startSuite();
    api = suite.api;
    await api.newTeam({ team_id: 'team-research', team_alias: 'Research', models: [CHEAP, PRICEY], max_budget: 100 });
    await api.newTeam({ team_id: 'team-cheap', models: [CHEAP] });
  });

  afterAll(async () => {
    await suite?.close();
  });

  describe('/key/generate', () => {
    it('returns the plain key once, in LiteLLM’s shape, and stores only its hash', async () => {
      const res = await api.call<GeneratedKey>('POST', '/key/generate', MASTER_KEY, {
        models: [CHEAP],
        team_id: 'team-research',
        user_id: 'user-7',
        key_alias: 'ci-runner',
        max_budget: 12.5,
        budget_duration: '30d',
        duration: '1h',
        metadata: { owner: 'ops' },
        rpm_limit: 600,
        tpm_limit: 100000,
      });
      expect(res.status).toBe(200);
      const body = res.body;
      expect(body.key).toMatch(/^sk-[0-9A-Za-z]{43}$/);
      const now = suite.clock.now();
      expect(body).toEqual({
        key: body.key,
        token: sha256(body.key),
        key_name: `sk-...${body.key.slice(-4)}`,
        key_alias: 'ci-runner',
        user_id: 'user-7',
        team_id: 'team-research',
        models: [CHEAP],
        spend: 0,
        max_budget: 12.5,
        budget_duration: '30d',
        budget_reset_at: new Date(now + 30 * 86_400_000).toISOString(),
        rpm_limit: 600,
        tpm_limit: 100000,
        metadata: { owner: 'ops' },
        expires: new Date(now + 3_600_000).toISOString(),
        created_at: new Date(now).toISOString(),
        updated_at: new Date(now).toISOString(),
      });
      const stored = await suite.gw.gateway.store.keys.get(sha256(body.key));
      expect(stored?.keyName).toBe(body.key_name);
      expect(JSON.stringify(stored)).not.toContain(body.key);
    });

    it('mints a different random key every time', async () => {
      const keys = await Promise.all(Array.from({ length: 5 }, () => api.generateKey()));
      expect(new Set(keys.map((k) => k.key)).size).toBe(5);
    });

    it('works with a key that has no fields at all: every model, no limits, no expiry', async () => {
      const key = await api.generateKey();
      expect(key).toMatchObject({ models: [], team_id: null, max_budget: null, expires: null, rpm_limit: null, metadata: {} });
      expect((await api.call('GET', '/v1/files', key.key)).status).toBe(200);
      const groups = await api.call<{ data: Array<{ model_group: string }> }>('GET', '/model_group/info', key.key);
      expect(groups.body.data.map((g) => g.model_group).sort()).toEqual([PRICEY, CHEAP].sort());
    });

    it('accepts `expires` as an ISO time instead of `duration`, but not both', async () => {
      const at = new Date(suite.clock.now() + 86_400_000).toISOString();
      expect((await api.generateKey({ expires: at })).expires).toBe(at);
      const both = await api.call<ErrorReply>('POST', '/key/generate', MASTER_KEY, { expires: at, duration: '1d' });
      expect(both.status).toBe(400);
      expect(both.body.error.param).toBe('expires');
    });

    it('refuses a team that does not exist with 400 naming team_id', async () => {
      const res = await api.call<ErrorReply>('POST', '/key/generate', MASTER_KEY, { team_id: 'team-nope' });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: 'team_id' });
      expect(res.body.error.message).toContain('team-nope');
    });

    it('refuses models outside the team’s models', async () => {
      const res = await api.call<ErrorReply>('POST', '/key/generate', MASTER_KEY, { team_id: 'team-cheap', models: [PRICEY] });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe('models');
      expect(res.body.error.message).toContain(PRICEY);
    });

    it.each([
      [{ max_budget: -1 }, 'max_budget'],
      [{ max_budget: 'ten' }, 'max_budget'],
      [{ budget_duration: 'monthly' }, 'budget_duration'],
      [{ budget_duration: '0d' }, 'budget_duration'],
      [{ duration: '10x' }, 'duration'],
      [{ expires: 'tomorrow' }, 'expires'],
      [{ models: 'gpt-4o' }, 'models'],
      [{ models: [''] }, 'models.0'],
      [{ rpm_limit: 1.5 }, 'rpm_limit'],
      [{ tpm_limit: -3 }, 'tpm_limit'],
      [{ metadata: 'x' }, 'metadata'],
      [{ key_alias: 42 }, 'key_alias'],
      [{ max_parallel_requests: 3 }, 'max_parallel_requests'],
      [{ model_rpm_limit: { [CHEAP]: 3 } }, 'model_rpm_limit'],
    ])('answers 400 in the OpenAI envelope for %j', async (body, param) => {
      const res = await api.call<ErrorReply>('POST', '/key/generate', MASTER_KEY, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(typeof res.body.error.message).toBe('string');
    });

    it('tolerates LiteLLM fields it does not need (empty limits, soft_budget, aliases)', async () => {
      const res = await api.call('POST', '/key/generate', MASTER_KEY, { model_max_budget: {}, soft_budget: 3, aliases: {}, blocked: false });
      expect(res.status).toBe(200);
    });
  });

  describe('who may call the admin routes', () => {
    let virtual: GeneratedKey;
    beforeAll(async () => {
      virtual = await api.generateKey({ team_id: 'team-research' });
    });

    const adminRoutes: ReadonlyArray<readonly [string, string, unknown]> = [
      ['POST', '/key/generate', {}],
      ['POST', '/key/update', { key: 'sk-whatever' }],
      ['POST', '/key/delete', { keys: ['sk-whatever'] }],
      ['GET', '/key/list', undefined],
      ['POST', '/team/new', { team_alias: 'x' }],
      ['GET', '/team/list', undefined],
      ['GET', '/health', undefined],
    ];

    it.each(adminRoutes)('%s %s: 401 without a key or with a wrong one, 403 with a virtual key', async (method, path, body) => {
      const none = await api.call<ErrorReply>(method, path, null, body);
      expect(none.status).toBe(401);
      expect(none.body.error.type).toBe('authentication_error');
      expect((await api.call(method, path, 'sk-not-a-key', body)).status).toBe(401);
      const asKey = await api.call<ErrorReply>(method, path, virtual.key, body);
      expect(asKey.status).toBe(403);
      expect(asKey.body.error).toMatchObject({ type: 'permission_error', code: 'admin_only' });
    });

    it('answers 403 to a virtual key whatever body it sends (checked before the body)', async () => {
      const res = await api.call<ErrorReply>('POST', '/key/generate', virtual.key, { max_budget: 'not a number' });
      expect(res.status).toBe(403);
    });

    it('takes the master key as Bearer, api-key and x-litellm-api-key', async () => {
      for (const header of ['api-key', 'x-litellm-api-key']) {
        const res = await fetch(`${api.url}/key/list`, { headers: { [header]: MASTER_KEY } });
        expect(res.status).toBe(200);
      }
    });
  });

  describe('/key/info', () => {
    it('shows the master key any key, by plain key or by hash, and never the plain key', async () => {
      const k = await api.generateKey({ key_alias: 'info-a', models: [CHEAP] });
      for (const ref of [k.key, k.token]) {
        const res = await api.call<KeyInfo>('GET', `/key/info?key=${encodeURIComponent(ref)}`, MASTER_KEY);
        expect(res.status).toBe(200);
        expect(res.body.key).toBe(k.token);
        expect(res.body.info).toMatchObject({ token: k.token, key_alias: 'info-a', models: [CHEAP], spend: 0 });
        expect(JSON.stringify(res.body)).not.toContain(k.key);
      }
    });

    it('lets a key read its own info (with or without naming itself), and nobody else’s', async () => {
      const mine = await api.generateKey({ key_alias: 'info-mine' });
      const other = await api.generateKey({ key_alias: 'info-other' });
      expect((await api.call<KeyInfo>('GET', '/key/info', mine.key)).body.info.key_alias).toBe('info-mine');
      expect((await api.call('GET', `/key/info?key=${mine.key}`, mine.key)).status).toBe(200);
      const foreign = await api.call<ErrorReply>('GET', `/key/info?key=${other.token}`, mine.key);
      const unknown = await api.call<ErrorReply>('GET', `/key/info?key=${sha256('nope')}`, mine.key);
      // The same answer for another key and a key that does not exist.
      expect(foreign.status).toBe(403);
      expect(unknown).toMatchObject({ status: 403, body: foreign.body });
    });

    it('answers 404 to the master key for an unknown key, and 400 when no key is named', async () => {
      expect((await api.call('GET', `/key/info?key=sk-unknown`, MASTER_KEY)).status).toBe(404);
      const none = await api.call<ErrorReply>('GET', '/key/info', MASTER_KEY);
      expect(none.status).toBe(400);
      expect(none.body.error.param).toBe('key');
    });
  });

  describe('/key/update', () => {
    it('changes only the fields given, and null clears', async () => {
      const k = await api.generateKey({ models: [CHEAP], max_budget: 5, metadata: { a: 1 }, user_id: 'u1' });
      suite.clock.advance(1000);
      const res = await api.call<Record<string, unknown>>('POST', '/key/update', MASTER_KEY, {
        key: k.key,
        models: [CHEAP, PRICEY],
        max_budget: null,
        team_id: 'team-research',
        budget_duration: '1d',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        key: k.token,
        token: k.token,
        models: [CHEAP, PRICEY],
        max_budget: null,
        team_id: 'team-research',
        user_id: 'u1',
        metadata: { a: 1 },
        budget_duration: '1d',
        budget_reset_at: new Date(suite.clock.now() + 86_400_000).toISOString(),
      });
      const groups = await api.call<{ data: Array<{ model_group: string }> }>('GET', '/model_group/info', k.key);
      expect(groups.body.data.map((g) => g.model_group).sort()).toEqual([PRICEY, CHEAP].sort());
    });

    it('narrows what the key may use at once', async () => {
      const k = await api.generateKey({ models: [CHEAP, PRICEY] });
      await api.call('POST', '/key/update', MASTER_KEY, { key: k.token, models: [CHEAP] });
      const groups = await api.call<{ data: Array<{ model_group: string }> }>('GET', '/model_group/info', k.key);
      expect(groups.body.data.map((g) => g.model_group)).toEqual([CHEAP]);
    });

    it('refuses an unknown key (404), an unknown team (400) and a taken alias (400)', async () => {
      const k = await api.generateKey({ key_alias: 'update-alias-1' });
      await api.generateKey({ key_alias: 'update-alias-2' });
      expect((await api.call('POST', '/key/update', MASTER_KEY, { key: 'sk-unknown', models: [] })).status).toBe(404);
      const team = await api.call<ErrorReply>('POST', '/key/update', MASTER_KEY, { key: k.key, team_id: 'team-nope' });
      expect(team).toMatchObject({ status: 400, body: { error: { param: 'team_id' } } });
      const alias = await api.call<ErrorReply>('POST', '/key/update', MASTER_KEY, { key: k.key, key_alias: 'update-alias-2' });
      expect(alias).toMatchObject({ status: 400, body: { error: { param: 'key_alias' } } });
      const missing = await api.call<ErrorReply>('POST', '/key/update', MASTER_KEY, { models: [] });
      expect(missing).toMatchObject({ status: 400, body: { error: { param: 'key' } } });
    });

    it('expires a key by setting a duration, and revives it with duration null', async () => {
      const k = await api.generateKey();
      await api.call('POST', '/key/update', MASTER_KEY, { key: k.key, duration: '1m' });
      suite.clock.advance(60_000);
      expect((await api.call('GET', '/v1/files', k.key)).status).toBe(401);
      await api.call('POST', '/key/update', MASTER_KEY, { key: k.key, duration: null });
      expect((await api.call('GET', '/v1/files', k.key)).status).toBe(200);
    });
  });

  describe('expired and deleted keys', () => {
    it('answers 401 once the key’s duration has passed', async () => {
      const k = await api.generateKey({ duration: '1h' });
      expect((await api.call('GET', '/v1/files', k.key)).status).toBe(200);
      suite.clock.advance(3_600_000 - 1);
      expect((await api.call('GET', '/v1/batches', k.key)).status).toBe(200);
      suite.clock.advance(1);
      const res = await api.call<ErrorReply>('GET', '/v1/files', k.key);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
      expect(res.body.error.message).toMatch(/expired/);
      expect((await api.call('GET', '/key/info', k.key)).status).toBe(401);
    });

    it('answers 401 to a key created already expired', async () => {
      const k = await api.generateKey({ expires: new Date(suite.clock.now() - 1000).toISOString() });
      expect((await api.call('GET', '/v1/files', k.key)).status).toBe(401);
    });

    it('deletes by key and by alias; deleted keys get 401; all or nothing', async () => {
      const a = await api.generateKey({ key_alias: 'del-a' });
      const b = await api.generateKey({ key_alias: 'del-b' });
      const c = await api.generateKey({ key_alias: 'del-c' });
      const partial = await api.call<ErrorReply>('POST', '/key/delete', MASTER_KEY, { keys: [a.key, 'sk-unknown'] });
      expect(partial.status).toBe(404);
      expect((await api.call('GET', '/v1/files', a.key)).status).toBe(200);

      const byKey = await api.call<{ deleted_keys: string[] }>('POST', '/key/delete', MASTER_KEY, { keys: [a.key, b.token] });
      expect(byKey.status).toBe(200);
      expect(byKey.body.deleted_keys.sort()).toEqual([a.token, b.token].sort());
      expect(JSON.stringify(byKey.body)).not.toContain(a.key);
      const byAlias = await api.call<{ deleted_keys: string[] }>('POST', '/key/delete', MASTER_KEY, { key_aliases: ['del-c'] });
      expect(byAlias.body.deleted_keys).toEqual([c.token]);

      for (const k of [a, b, c]) {
        const res = await api.call<ErrorReply>('GET', '/v1/files', k.key);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('invalid_api_key');
      }
      expect((await api.call('POST', '/key/delete', MASTER_KEY, { keys: [a.key] })).status).toBe(404);
      expect((await api.call('POST', '/key/delete', MASTER_KEY, {})).status).toBe(400);
    });
  });

  describe('/key/list', () => {
    it('lists hashes by default and objects on request, filtered by team and user, never plain keys', async () => {
      await api.newTeam({ team_id: 'team-list' });
      const a = await api.generateKey({ team_id: 'team-list', user_id: 'list-u1' });
      const b = await api.generateKey({ team_id: 'team-list', user_id: 'list-u2' });
      const c = await api.generateKey({ user_id: 'list-u1' });

      const byTeam = await api.call<{ keys: string[]; total_count: number }>('GET', '/key/list?team_id=team-list', MASTER_KEY);
      expect(byTeam.status).toBe(200);
      expect(byTeam.body.keys.sort()).toEqual([a.token, b.token].sort());
      expect(byTeam.body.total_count).toBe(2);
      const byUser = await api.call<{ keys: string[] }>('GET', '/key/list?user_id=list-u1', MASTER_KEY);
      expect(byUser.body.keys.sort()).toEqual([a.token, c.token].sort());

      const full = await api.call<{ keys: Array<Record<string, unknown>> }>(
        'GET',
        '/key/list?team_id=team-list&return_full_object=true',
        MASTER_KEY,
      );
      expect(full.body.keys.map((k) => k.token).sort()).toEqual([a.token, b.token].sort());
      const everything = await api.call('GET', '/key/list?size=100&return_full_object=true', MASTER_KEY);
      for (const k of [a, b, c]) {
        expect(JSON.stringify(full.body)).not.toContain(k.key);
        expect(JSON.stringify(everything.body)).not.toContain(k.key);
      }
    });

    it('pages with page and size', async () => {
      await api.newTeam({ team_id: 'team-pages' });
      const made = [];
      for (let i = 0; i < 3; i++) {
        suite.clock.advance(1);
        made.push((await api.generateKey({ team_id: 'team-pages' })).token);
      }
      const page = (n: number) =>
        api.call<{ keys: string[]; total_count: number; current_page: number; total_pages: number }>(
          'GET',
          `/key/list?team_id=team-pages&size=2&page=${n}`,
          MASTER_KEY,
        );
      expect((await page(1)).body).toEqual({ keys: made.slice(0, 2), total_count: 3, current_page: 1, total_pages: 2 });
      expect((await page(2)).body.keys).toEqual(made.slice(2));
      expect((await api.call('GET', '/key/list?size=0', MASTER_KEY)).status).toBe(400);
    });
  });

  describe('teams', () => {
    it('creates a team (with or without an id), shows and lists it', async () => {
      const res = await api.call<Record<string, unknown>>('POST', '/team/new', MASTER_KEY, {
        team_alias: 'Generated',
        models: [CHEAP],
        max_budget: 20,
        budget_duration: '1mo',
        metadata: { cost_center: 7 },
      });
      expect(res.status).toBe(200);
      const now = new Date(suite.clock.now());
      const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate(), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds());
      expect(res.body).toMatchObject({
        team_alias: 'Generated',
        models: [CHEAP],
        max_budget: 20,
        spend: 0,
        budget_duration: '1mo',
        budget_reset_at: new Date(nextMonth).toISOString(),
        metadata: { cost_center: 7 },
      });
      expect(res.body.team_id).toMatch(/^[0-9a-f-]{36}$/);
      const info = await api.call<{ team_id: string; team_info: Record<string, unknown>; keys: unknown[] }>(
        'GET',
        `/team/info?team_id=${String(res.body.team_id)}`,
        MASTER_KEY,
      );
      expect(info.status).toBe(200);
      expect(info.body.team_info).toEqual(res.body);
      const list = await api.call<Array<{ team_id: string }>>('GET', '/team/list', MASTER_KEY);
      expect(list.body.map((t) => t.team_id)).toEqual(expect.arrayContaining(['team-research', 'team-cheap', res.body.team_id]));
    });

    it('refuses a duplicate team id, team rate limits it would not enforce, and bad fields', async () => {
      const dup = await api.call<ErrorReply>('POST', '/team/new', MASTER_KEY, { team_id: 'team-research' });
      expect(dup).toMatchObject({ status: 400, body: { error: { param: 'team_id' } } });
      expect((await api.call<ErrorReply>('POST', '/team/new', MASTER_KEY, { rpm_limit: 5 })).body.error.param).toBe('rpm_limit');
      expect((await api.call<ErrorReply>('POST', '/team/new', MASTER_KEY, { max_budget: -5 })).body.error.param).toBe('max_budget');
      expect((await api.call<ErrorReply>('POST', '/team/new', MASTER_KEY, { budget_duration: 'x' })).body.error.param).toBe('budget_duration');
    });

    it('lists a team’s keys for the master key; a key reads only its own team, without keys', async () => {
      await api.newTeam({ team_id: 'team-info' });
      const member = await api.generateKey({ team_id: 'team-info' });
      const outsider = await api.generateKey({ team_id: 'team-cheap' });
      const asAdmin = await api.call<{ keys: Array<{ token: string }> }>('GET', '/team/info?team_id=team-info', MASTER_KEY);
      expect(asAdmin.body.keys.map((k) => k.token)).toEqual([member.token]);
      expect(JSON.stringify(asAdmin.body)).not.toContain(member.key);
      const own = await api.call<{ team_id: string; keys: unknown[] }>('GET', '/team/info', member.key);
      expect(own).toMatchObject({ status: 200, body: { team_id: 'team-info', keys: [] } });
      const foreign = await api.call('GET', '/team/info?team_id=team-info', outsider.key);
      const unknown = await api.call('GET', '/team/info?team_id=team-nope', outsider.key);
      expect(foreign.status).toBe(403);
      expect(unknown).toMatchObject({ status: 403, body: foreign.body });
      expect((await api.call('GET', '/team/info?team_id=team-nope', MASTER_KEY)).status).toBe(404);
    });

    it('gives a key the intersection of its models and its team’s', async () => {
      const k = await api.generateKey({ team_id: 'team-cheap', models: [CHEAP] });
      const teamWide = await api.generateKey({ team_id: 'team-cheap', models: ['all-team-models'] });
      const unrestricted = await api.generateKey({ team_id: 'team-cheap' });
      for (const key of [k, teamWide, unrestricted]) {
        const groups = await api.call<{ data: Array<{ model_group: string }> }>('GET', '/model_group/info', key.key);
        expect(groups.body.data.map((g) => g.model_group)).toEqual([CHEAP]);
      }
    });
  });
});

describe('the master key from the environment, and no master key at all', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const yamlWithoutMaster = (): string => configYaml(fake).replace(/general_settings:\n {2}master_key: .*\n/, '');

  it.each(['LITELLM_MASTER_KEY', 'BATCHGATE_MASTER_KEY'])('takes the master key from %s', async (name) => {
    const gw = await startGateway({ yaml: yamlWithoutMaster(), env: { UPSTREAM_KEY, [name]: 'sk-env-master' } });
    try {
      const api = new Api(gw.url);
      expect((await api.call('POST', '/key/generate', null, {})).status).toBe(401);
      expect((await api.call('POST', '/key/generate', 'sk-env-master', {})).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('refuses to mint keys when no master key is configured (they would restrict nothing)', async () => {
    const gw = await startGateway({ yaml: yamlWithoutMaster(), env: { UPSTREAM_KEY } });
    try {
      const res = await new Api(gw.url).call<ErrorReply>('POST', '/key/generate', null, {});
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/master key/);
    } finally {
      await gw.close();
    }
  });
});

describe('the plain key at rest and in logs', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('never appears in any table row nor anywhere in the database files', async () => {
    const suite = await startSuite();
    try {
      const { api } = suite;
      await api.newTeam({ team_id: 'team-rest', models: [CHEAP] });
      const key = await api.generateKey({ team_id: 'team-rest', models: [CHEAP], key_alias: 'at-rest', max_budget: 5, rpm_limit: 100 });
      // Use the key everywhere it could leave a trace: upload, batch, info, update, rate windows.
      const fileId = await api.uploadOk(key.key, jsonl([CHEAP, CHEAP]), { target_model_names: CHEAP });
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
      expect((await api.call('GET', `/key/info?key=${key.key}`, MASTER_KEY)).status).toBe(200);
      expect((await api.call('POST', '/key/update', MASTER_KEY, { key: key.key, metadata: { touched: true } })).status).toBe(200);

      const secret = key.key.slice(3); // without the prefix, so a re-encoded key would show too
      const dbPath = join(suite.gw.dataDir, 'batchgate.db');
      const db = new Sqlite(dbPath, { readonly: true });
      try {
        const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>;
        expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['keys', 'teams', 'files', 'batches', 'rate_windows']));
        let rows = 0;
        for (const { name } of tables) {
          for (const row of db.prepare(`select * from "${name}"`).all()) {
            rows += 1;
            expect(JSON.stringify(row)).not.toContain(secret);
          }
        }
        expect(rows).toBeGreaterThan(5);
        const keyRow = db.prepare('select * from keys where key_hash = ?').get(key.token);
        expect(keyRow).toBeDefined();
      } finally {
        db.close();
      }
      // Nor does the virtual key travel upstream: deployments get their own key only.
      expect(suite.fake.requests.length).toBeGreaterThan(0);
      expect(JSON.stringify(suite.fake.requests)).not.toContain(secret);
      // The raw bytes too (main file and write-ahead log): nothing hides in free pages.
      for (const name of await readdir(suite.gw.dataDir)) {
        if (!name.startsWith('batchgate.db')) continue;
        const bytes = await readFile(join(suite.gw.dataDir, name));
        expect(bytes.includes(Buffer.from(secret)), name).toBe(false);
      }
    } finally {
      await suite.close();
    }
  });

  it('never appears in the gateway’s logs, even when sent in a URL', async () => {
    const gw = await startLoggingGateway(fake);
    try {
      const api = new Api(gw.url);
      const key = await api.generateKey({ models: [CHEAP], key_alias: 'logged' });
      await api.call('GET', `/key/info?key=${key.key}`, MASTER_KEY);
      await api.call('GET', `/key/info?key=${key.key}`, key.key);
      await api.call('GET', '/v1/files', key.key);
      await api.upload(key.key, jsonl([CHEAP]), { target_model_names: CHEAP });
      await api.call('POST', '/key/update', MASTER_KEY, { key: key.key, key_alias: 'logged-2' });
      await api.call('GET', `/v1/files/${key.key}`, key.key);
      await api.call('POST', '/key/delete', MASTER_KEY, { keys: [key.key] });
      await api.call('GET', '/v1/files', key.key); // now a 401

      const logs = gw.logs();
      // The logs are really there, the request lines included, with the URL masked.
      expect(logs).toContain('virtual key generated');
      expect(logs).toContain('/key/info?key=***');
      expect(logs).not.toContain(key.key.slice(3));
      expect(logs).not.toContain(MASTER_KEY.slice(3));
    } finally {
      await gw.close();
    }
  });
});
