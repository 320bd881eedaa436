/**
 * Gemini API adapter batch calls against the fake: every state with its counts and timestamps,
 * a failed batch's error, cancel (reported cancelling until Google says cancelled), list, probe,
 * and a finished inline batch whose answers are far bigger than one JSON body may be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { startFakeGemini, type FakeGemini, type FakeGeminiState } from '../../fakes/fake-gemini.js';
import { adapterOn, collect, createInput, opts, rejection, stagedInput, stagedText } from './support.js';

let fake: FakeGemini;

beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});

const created = async (count = 3, label?: string): Promise<string> => {
  const adapter = adapterOn(fake);
  return (await adapter.createBatch(createInput(stagedInput(stagedText(adapter, count)), label), opts())).ref;
};

describe('retrieveBatch', () => {
  it.each<[FakeGeminiState, string]>([
    ['BATCH_STATE_PENDING', 'validating'],
    ['BATCH_STATE_RUNNING', 'in_progress'],
  ])('maps %s to %s', async (state, status) => {
    const ref = await created();
    fake.setState(ref, state);
    const batch = await adapterOn(fake).retrieveBatch(ref, opts());
    expect(batch.status).toBe(status);
    expect(batch.requestCounts).toEqual({ total: 3, completed: 0, failed: 0 });
    expect(batch.completedAt).toBeNull();
    expect(batch.createdAt).toBe(Math.floor(fake.batch(ref).createTime.getTime() / 1000));
    expect(batch.expiresAt).toBe((batch.createdAt ?? 0) + 48 * 3600);
  });

  it('maps SUCCEEDED to completed, with counts from batchStats and the end time', async () => {
    const ref = await created(4);
    fake.finish(ref, { fail: (_r, key) => (key === '2' ? { code: 3, message: 'bad' } : null) });
    const batch = await adapterOn(fake).retrieveBatch(ref, opts());
    expect(batch.status).toBe('completed');
    expect(batch.requestCounts).toEqual({ total: 4, completed: 3, failed: 1 });
    expect(batch.completedAt).toBe(Math.floor((fake.batch(ref).endTime?.getTime() ?? 0) / 1000));
    expect(batch.outputFileRef).toBeNull();
    expect(batch.errorFileRef).toBeNull();
    expect(batch.model).toBe('gemini-2.5-flash');
  });

  it('counts what an ended batch never answered as failed (zero counters are omitted by Google)', async () => {
    const ref = await created(3);
    fake.finish(ref, { state: 'BATCH_STATE_EXPIRED', omit: (key) => key !== '1' });
    const batch = await adapterOn(fake).retrieveBatch(ref, opts());
    expect(batch.status).toBe('expired');
    expect(batch.expiredAt).not.toBeNull();
    expect(batch.requestCounts).toEqual({ total: 3, completed: 1, failed: 2 });
  });

  it('maps FAILED to failed with the cleaned error in errors', async () => {
    const ref = await created();
    fake.finish(ref, { state: 'BATCH_STATE_FAILED', error: { code: 3, message: `Input invalid; key ${fake.apiKey} rejected` } });
    const batch = await adapterOn(fake).retrieveBatch(ref, opts());
    expect(batch.status).toBe('failed');
    expect(batch.failedAt).not.toBeNull();
    expect(batch.errors).toEqual([{ code: 'invalid_argument', message: 'Input invalid; key [REDACTED] rejected', param: null, line: null }]);
  });

  it('maps CANCELLED to cancelled', async () => {
    const ref = await created();
    fake.finish(ref, { state: 'BATCH_STATE_CANCELLED' });
    const batch = await adapterOn(fake).retrieveBatch(ref, opts());
    expect(batch.status).toBe('cancelled');
    expect(batch.cancelledAt).not.toBeNull();
    expect(batch.requestCounts).toEqual({ total: 3, completed: 0, failed: 3 });
  });

  it('accepts a bare id and refuses a ref that is not a batch', async () => {
    const ref = await created();
    expect((await adapterOn(fake).retrieveBatch(ref.replace('batches/', ''), opts())).ref).toBe(ref);
    const error = await rejection(adapterOn(fake).retrieveBatch('projects/x/batches/y', opts()));
    expect(error).toBeInstanceOf(GatewayError);
  });

  it("reports Google's 404 as not found", async () => {
    const error = await rejection(adapterOn(fake).retrieveBatch('batches/doesnotexist', opts()));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).isNotFound).toBe(true);
  });

  it('reads a finished inline batch whose answers exceed the JSON body limit without holding them', async () => {
    const adapter = adapterOn(fake);
    const long = 'y'.repeat(20_000);
    const ref = (await adapter.createBatch(createInput(stagedInput(stagedText(adapter, 250, () => long))), opts())).ref;
    fake.finish(ref);
    // 250 requests echoed and 250 answers of 20 KB each: more than the 8 MiB a JSON body may be.
    const batch = await adapter.retrieveBatch(ref, opts());
    expect(batch.status).toBe('completed');
    expect(batch.requestCounts).toEqual({ total: 250, completed: 250, failed: 0 });
    const results = await collect(adapter.openResults(ref, opts()));
    expect(results).toHaveLength(250);
    expect(results[249]?.lineNo).toBe(250);
  });

  it('an autoRun batch runs on its first read and ends on the next', async () => {
    const auto = await startFakeGemini({ autoRun: true });
    try {
      const adapter = adapterOn(auto);
      const ref = (await adapter.createBatch(createInput(stagedInput(stagedText(adapter, 2))), opts())).ref;
      expect((await adapter.retrieveBatch(ref, opts())).status).toBe('in_progress');
      expect((await adapter.retrieveBatch(ref, opts())).status).toBe('completed');
    } finally {
      await auto.close();
    }
  });
});

describe('cancelBatch', () => {
  it('reports cancelling, stamped now, until Google says the batch is cancelled', async () => {
    const ref = await created();
    const adapter = adapterOn(fake, {}, { clock: { now: () => 1_800_000_000_000 } });
    const cancelling = await adapter.cancelBatch(ref, opts());
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancellingAt).toBe(1_800_000_000);
    // The fake cancels on the read after :cancel, as Google does asynchronously.
    const cancelled = await adapter.retrieveBatch(ref, opts());
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelledAt).not.toBeNull();
  });

  it('leaves a batch that already ended as it is', async () => {
    const ref = await created();
    fake.finish(ref);
    expect((await adapterOn(fake).cancelBatch(ref, opts())).status).toBe('completed');
  });
});

describe('listBatchesSince and probe', () => {
  it('lists batches created since a time across pages, newest first, with their labels', async () => {
    const since = Math.floor(Date.now() / 1000);
    const refs: string[] = [];
    for (let i = 0; i < 3; i++) refs.push(await created(1, `batch_list${i}`));
    const listed = await collect(adapterOn(fake).listBatchesSince(since, opts()));
    const ours = listed.filter((b) => refs.includes(b.ref));
    expect(ours.map((b) => b.label).sort()).toEqual(['batch_list0', 'batch_list1', 'batch_list2']);
    const times = listed.map((b) => b.createdAt ?? 0);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const pages = fake.calls.filter((c) => c.path.startsWith('/v1beta/batches?'));
    expect(pages.some((c) => c.path.includes('pageToken='))).toBe(listed.length > 100);
  });

  it('follows nextPageToken', async () => {
    const paged = await startFakeGemini();
    try {
      const adapter = adapterOn(paged);
      for (let i = 0; i < 105; i++) await adapter.createBatch(createInput(stagedInput(stagedText(adapter, 1))), opts());
      const listed = await collect(adapter.listBatchesSince(0, opts()));
      expect(listed).toHaveLength(105);
      expect(paged.calls.filter((c) => c.path.includes('pageToken=')).length).toBe(1);
    } finally {
      await paged.close();
    }
  });

  it('probes with one cheap list call', async () => {
    const before = fake.calls.length;
    await adapterOn(fake).probe(opts());
    expect(fake.calls.slice(before).map((c) => c.path)).toEqual(['/v1beta/batches?pageSize=1']);
  });
});
