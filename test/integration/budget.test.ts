/**
 * Budgets and rate limits at batch create: key and team budgets from the spend the store holds
 * (429 `budget_exceeded`), budget windows that reset, and per-key rpm/tpm limits counted per
 * batch (429 `rate_limit_exceeded` with Retry-After), shared by replicas through the store.
 * Time is a pinned clock: nothing here waits or measures.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateInputTokens } from '../../src/domain/limits/token-estimate.js';
import { startGateway } from '../helpers/gateway.js';
import {
  Api,
  CHEAP,
  ENV,
  MASTER_KEY,
  configYaml,
  jsonl,
  line,
  startSuite,
  type ErrorReply,
  type GeneratedKey,
  type Suite,
} from './keys-support.js';

const MINUTE = 60_000;

describe('budgets and rate limits at batch create', () => {
  let suite: Suite;
  let api: Api;

  beforeAll(async () => {
    suite = await startSuite();
    api = suite.api;
  });

  afterAll(async () => {
    await suite?.close();
  });

  const store = () => suite.gw.gateway.store;
  const upstreamBatches = () => suite.fake.batches.size;

  /** A key's own small batch file (3 requests). */
  const fileOf = (key: GeneratedKey, n = 3): Promise<string> =>
    api.uploadOk(key.key, jsonl(Array.from({ length: n }, () => CHEAP)), { target_model_names: CHEAP });

  describe('budgets', () => {
    it('refuses a key whose spend reached max_budget, naming the key, spend and budget', async () => {
      const key = await api.generateKey({ key_alias: 'budget-key', max_budget: 1 });
      const fileId = await fileOf(key);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);

      await store().keys.addSpend(key.token, 0.75);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
      await store().keys.addSpend(key.token, 0.25);
      const before = upstreamBatches();
      const res = await api.createBatch<ErrorReply>(key.key, fileId);
      expect(res.status).toBe(429);
      expect(res.body.error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded', param: null });
      expect(res.body.error.message).toContain(key.key_name);
      expect(res.body.error.message).toContain('budget-key');
      expect(res.body.error.message).toMatch(/spend 1 has reached max_budget 1/);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.body.error.message).not.toContain(key.key);
      expect(upstreamBatches()).toBe(before);
    });

    it('refuses every batch of a key with a budget of 0, and never limits the master key', async () => {
      const key = await api.generateKey({ max_budget: 0 });
      const fileId = await fileOf(key);
      expect((await api.createBatch(key.key, fileId)).status).toBe(429);
      const masterFile = await api.uploadOk(MASTER_KEY, jsonl([CHEAP]), { target_model_names: CHEAP });
      expect((await api.createBatch(MASTER_KEY, masterFile)).status).toBe(200);
    });

    it('refuses every key of a team whose spend reached the team’s max_budget', async () => {
      await api.newTeam({ team_id: 'team-budget', max_budget: 5 });
      const a = await api.generateKey({ team_id: 'team-budget' });
      const b = await api.generateKey({ team_id: 'team-budget', max_budget: 100 });
      const fileA = await fileOf(a);
      const fileB = await fileOf(b);
      expect((await api.createBatch(a.key, fileA)).status).toBe(200);
      // Spend booked through one key counts for the whole team.
      await store().keys.addSpend(a.token, 5);
      for (const [key, fileId] of [
        [a, fileA],
        [b, fileB],
      ] as const) {
        const res = await api.createBatch<ErrorReply>(key.key, fileId);
        expect(res.status).toBe(429);
        expect(res.body.error.code).toBe('budget_exceeded');
        expect(res.body.error.message).toMatch(/team 'team-budget'.*spend 5 has reached max_budget 5/);
      }
      // A key outside the team is unaffected.
      const outsider = await api.generateKey();
      expect((await api.createBatch(outsider.key, await fileOf(outsider))).status).toBe(200);
    });

    it('reads spend the store holds at every create (booked directly on the team too)', async () => {
      await api.newTeam({ team_id: 'team-direct', max_budget: 2 });
      const key = await api.generateKey({ team_id: 'team-direct' });
      const fileId = await fileOf(key);
      await store().teams.addSpend('team-direct', 2.5);
      expect((await api.createBatch(key.key, fileId)).status).toBe(429);
      await store().teams.update('team-direct', { maxBudget: 10 });
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
    });

    it('resets a key’s spend when its budget_duration has passed, and stores the new window', async () => {
      const key = await api.generateKey({ max_budget: 1, budget_duration: '1h' });
      const fileId = await fileOf(key);
      await store().keys.addSpend(key.token, 3);
      expect((await api.createBatch(key.key, fileId)).status).toBe(429);
      suite.clock.advance(3_600_000 - 1);
      const still = await api.createBatch<ErrorReply>(key.key, fileId);
      expect(still.status).toBe(429);
      expect(still.body.error.message).toContain('resets every 1h');

      suite.clock.advance(1);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
      const stored = await store().keys.get(key.token);
      expect(stored).toMatchObject({ spend: 0, budgetResetAtMs: suite.clock.now() + 3_600_000 });
      const info = await api.call<{ info: { spend: number } }>('GET', '/key/info', key.key);
      expect(info.body.info.spend).toBe(0);
      // Spend in the new window counts again.
      await store().keys.addSpend(key.token, 1);
      expect((await api.createBatch(key.key, fileId)).status).toBe(429);
    });

    it('resets a team’s spend when its budget_duration has passed', async () => {
      await api.newTeam({ team_id: 'team-reset', max_budget: 1, budget_duration: '1d' });
      const key = await api.generateKey({ team_id: 'team-reset' });
      const fileId = await fileOf(key);
      await store().teams.addSpend('team-reset', 1);
      expect((await api.createBatch(key.key, fileId)).status).toBe(429);
      suite.clock.advance(86_400_000);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
      expect(await store().teams.get('team-reset')).toMatchObject({ spend: 0, budgetResetAtMs: suite.clock.now() + 86_400_000 });
      const team = await api.call<{ team_info: { spend: number } }>('GET', '/team/info?team_id=team-reset', MASTER_KEY);
      expect(team.body.team_info.spend).toBe(0);
    });
  });

  describe('rate limits', () => {
    beforeEach(() => {
      // Every case starts 10 s into a fresh minute.
      const now = suite.clock.now();
      suite.clock.ms = Math.floor(now / MINUTE) * MINUTE + MINUTE + 10_000;
    });

    it('counts a batch as its number of requests against rpm_limit, with Retry-After to the next minute', async () => {
      const key = await api.generateKey({ rpm_limit: 5 });
      const fileId = await fileOf(key, 3);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
      suite.clock.advance(20_000); // 30 s into the minute
      const before = upstreamBatches();
      const res = await api.createBatch<ErrorReply>(key.key, fileId);
      expect(res.status).toBe(429);
      expect(res.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(res.body.error.message).toMatch(/rpm_limit 5: 3 requests already this minute, the batch adds 3/);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(upstreamBatches()).toBe(before);
      // A smaller batch still fits into what is left of the minute.
      expect((await api.createBatch(key.key, await fileOf(key, 2))).status).toBe(200);

      suite.clock.advance(30_000); // the next minute
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
    });

    it('refuses a batch larger than a whole minute’s allowance without Retry-After', async () => {
      const key = await api.generateKey({ rpm_limit: 2 });
      const res = await api.createBatch<ErrorReply>(key.key, await fileOf(key, 3));
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('rate_limit_exceeded');
      expect(res.body.error.message).toMatch(/3 requests, more than its rpm_limit of 2/);
      expect(res.headers.get('retry-after')).toBeNull();
    });

    it('counts estimated input tokens (UTF-8 bytes / 4) against tpm_limit', async () => {
      const key = await api.generateKey({ tpm_limit: 50 });
      // 40 bytes of content per line: 10 tokens a line, 30 for the file.
      const content = `${[0, 1, 2].map((i) => line(`t-${i}`, CHEAP, 'x'.repeat(40))).join('\n')}\n`;
      const fileId = await api.uploadOk(key.key, content, { target_model_names: CHEAP });
      expect((await store().files.get(fileId))?.inputTokens).toBe(30);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
      const res = await api.createBatch<ErrorReply>(key.key, fileId);
      expect(res.status).toBe(429);
      expect(res.body.error.message).toMatch(/tpm_limit 50: about 30 tokens already this minute, the batch adds 30/);
      expect(res.headers.get('retry-after')).toBe('50');
      suite.clock.advance(MINUTE);
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
    });

    it('does not charge the minute when the budget refuses the batch', async () => {
      const key = await api.generateKey({ rpm_limit: 3, max_budget: 1 });
      const fileId = await fileOf(key, 3);
      await store().keys.addSpend(key.token, 1);
      expect((await api.createBatch<ErrorReply>(key.key, fileId)).body.error.code).toBe('budget_exceeded');
      await store().keys.update(key.token, { maxBudget: null });
      expect((await api.createBatch(key.key, fileId)).status).toBe(200);
    });

    it('keeps keys apart, and never limits the master key', async () => {
      const a = await api.generateKey({ rpm_limit: 3 });
      const b = await api.generateKey({ rpm_limit: 3 });
      expect((await api.createBatch(a.key, await fileOf(a, 3))).status).toBe(200);
      expect((await api.createBatch(b.key, await fileOf(b, 3))).status).toBe(200);
      const masterFile = await api.uploadOk(MASTER_KEY, jsonl([CHEAP, CHEAP, CHEAP, CHEAP]), { target_model_names: CHEAP });
      for (let i = 0; i < 3; i++) expect((await api.createBatch(MASTER_KEY, masterFile)).status).toBe(200);
    });

    it('shares the minute between replicas: a second gateway over the same store sees the first one’s charge', async () => {
      const key = await api.generateKey({ rpm_limit: 4 });
      const fileId = await fileOf(key, 3);
      const replica = await startGateway({ yaml: configYaml(suite.fake), env: ENV, clock: suite.clock, dataDir: suite.gw.dataDir });
      try {
        expect((await api.createBatch(key.key, fileId)).status).toBe(200);
        const res = await new Api(replica.url).createBatch<ErrorReply>(key.key, fileId);
        expect(res.status).toBe(429);
        expect(res.body.error.code).toBe('rate_limit_exceeded');
      } finally {
        await replica.close({ keepData: true });
      }
    });
  });
});

describe('input token estimate', () => {
  it.each([
    [{ model: 'm', messages: [{ role: 'user', content: 'abcd'.repeat(5) }] }, 5],
    [{ model: 'm', messages: [{ role: 'system', content: 'abc' }, { role: 'user', content: [{ type: 'text', text: 'abcde' }] }] }, 2],
    [{ model: 'm', messages: [{ role: 'user', content: 'é'.repeat(4) }] }, 2],
    [{ model: 'm', prompt: ['abcd', 'efgh'] }, 2],
    [{ model: 'm', prompt: [1, 2, 3] }, 3],
    [{ model: 'm', input: [[1, 2], [3]] }, 3],
    [{ model: 'm', input: 'abcdabcd', instructions: 'abcd' }, 3],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'abcdabcd' }] }] }, 2],
    [{ model: 'm' }, 0],
  ])('estimates %j as %i tokens', (body, tokens) => {
    expect(estimateInputTokens(body)).toBe(tokens);
  });
});
