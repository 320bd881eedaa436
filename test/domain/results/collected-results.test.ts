/**
 * Results of 'native' upstreams become OpenAI output and error files written by the gateway: each
 * custom_id exactly once across the two, answered lines split by status, lines never answered in
 * the error file with the code of why, duplicates kept once, and a terminal status only once the
 * files exist. Runs over the real SQLite store and the filesystem blob store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/domain/deployment.js';
import type { BlobStore } from '../../../src/domain/ports/blob-store.js';
import { silentLogger } from '../../../src/domain/ports/logger.js';
import { NO_LIMITS, type ProviderAdapter, type ProviderRegistry, type UpstreamBatch, type UpstreamResultLine } from '../../../src/domain/ports/provider-adapter.js';
import type { Store } from '../../../src/domain/ports/store.js';
import { collectResults } from '../../../src/domain/results/collect-results.js';
import { withCollectedResults } from '../../../src/domain/results/collected-adapter.js';
import { FsBlobStore } from '../../../src/store/blobs/fs-blob-store.js';
import { createStore } from '../../../src/store/create-store.js';
import { batchRecord } from '../../store/fixtures.js';

const ok = (lineNo: number, text: string): UpstreamResultLine => ({
  lineNo,
  response: {
    statusCode: 200,
    requestId: `up-${lineNo}`,
    body: { id: `c${lineNo}`, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text } }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
  },
  error: null,
});
const failed = (lineNo: number, status: number): UpstreamResultLine => ({
  lineNo,
  response: { statusCode: status, requestId: null, body: { error: { message: 'blocked', type: 'invalid_request_error', param: null, code: null } } },
  error: null,
});

async function* from(lines: readonly UpstreamResultLine[]): AsyncGenerator<UpstreamResultLine> {
  for (const l of lines) yield l;
}

async function text(blobs: BlobStore, key: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of await blobs.open(key, { signal: AbortSignal.timeout(5_000) })) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
const jsonLines = (t: string): Array<Record<string, any>> => t.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

describe('native batch results', () => {
  let dir: string;
  let store: Store;
  let blobs: BlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchgate-results-'));
    store = await createStore({ databaseUrl: null, dataDir: dir });
    blobs = new FsBlobStore({ root: join(dir, 'blobs') });
    await store.lineKeys.add('file-1', [1, 2, 3, 4, 5].map((n) => ({ lineNo: n, customId: `req-${n}` })));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts every custom_id in exactly one file, keeps a duplicate once and names the lines that never ran', async () => {
    const summary = await collectResults(
      { blobs, lineKeys: store.lineKeys, logger: silentLogger },
      {
        seed: 'batch_1',
        fileId: 'file-1',
        // Line 2 fails, line 4 is reported twice (the first answer wins), 99 is not in the file, 3 and 5 never ran.
        results: from([ok(4, 'four'), failed(2, 400), ok(1, 'one'), ok(4, 'again'), ok(99, 'stray')]),
        missingCode: 'batch_expired',
        outputKey: 'r/output.jsonl',
        errorKey: 'r/errors.jsonl',
      },
      AbortSignal.timeout(5_000),
    );
    expect(summary).toMatchObject({ total: 5, completed: 2, failed: 3, hasOutput: true, hasErrors: true });
    expect(summary.usage).toEqual({ input_tokens: 6, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 10 });
    const output = jsonLines(await text(blobs, 'r/output.jsonl'));
    const errors = jsonLines(await text(blobs, 'r/errors.jsonl'));
    expect(output.map((l) => [l['custom_id'], l['response'].body.choices[0].message.content])).toEqual([
      ['req-4', 'four'],
      ['req-1', 'one'],
    ]);
    expect(output[0]).toMatchObject({ response: { status_code: 200, request_id: 'up-4' }, error: null });
    expect(output[0]!['id']).toMatch(/^batch_req_[0-9a-f]{32}$/);
    expect(errors.map((l) => l['custom_id'])).toEqual(['req-2', 'req-3', 'req-5']);
    expect(errors[0]).toMatchObject({ response: { status_code: 400, body: { error: { message: 'blocked' } } }, error: null });
    expect(errors[1]).toMatchObject({ response: null, error: { code: 'batch_expired' } });
    const all = [...output, ...errors].map((l) => l['custom_id'] as string).sort();
    expect(all).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
  });

  it('writes the same bytes when collected again (line ids derive from the batch and line)', async () => {
    const run = async (key: string): Promise<string> => {
      await collectResults(
        { blobs, lineKeys: store.lineKeys, logger: silentLogger },
        { seed: 'batch_1', fileId: 'file-1', results: from([ok(1, 'one'), failed(2, 500)]), missingCode: 'batch_cancelled', outputKey: `${key}/o.jsonl`, errorKey: `${key}/e.jsonl` },
        AbortSignal.timeout(5_000),
      );
      return (await text(blobs, `${key}/o.jsonl`)) + (await text(blobs, `${key}/e.jsonl`));
    };
    expect(await run('a')).toBe(await run('b'));
  });

  it('leaves no file behind when the upstream read fails halfway', async () => {
    async function* broken(): AsyncGenerator<UpstreamResultLine> {
      yield ok(1, 'one');
      throw new Error('connection reset');
    }
    await expect(
      collectResults(
        { blobs, lineKeys: store.lineKeys, logger: silentLogger },
        { seed: 'b', fileId: 'file-1', results: broken(), missingCode: 'batch_expired', outputKey: 'x/o.jsonl', errorKey: 'x/e.jsonl' },
        AbortSignal.timeout(5_000),
      ),
    ).rejects.toThrow('connection reset');
    expect(await blobs.stat('x/o.jsonl')).toBeNull();
    expect(await blobs.stat('x/e.jsonl')).toBeNull();
  });

  it('reports a finished batch as finalizing until its files exist, then serves them', async () => {
    const deployment: Deployment = { id: 'dep-native', modelGroup: 'g', provider: 'vertex_ai', upstreamModel: 'm', params: {}, info: {}, weight: 1 };
    let status: UpstreamBatch['status'] = 'in_progress';
    const upstream = (): UpstreamBatch => ({
      ref: 'job-1', status, endpoint: '/v1/chat/completions', completionWindow: '24h', model: 'm', errors: null, outputFileRef: null, errorFileRef: null,
      createdAt: 1, inProgressAt: 2, expiresAt: null, finalizingAt: null, completedAt: status === 'completed' ? 9 : null, failedAt: null, expiredAt: null,
      cancellingAt: null, cancelledAt: null, requestCounts: { total: 5, completed: 0, failed: 0 }, usage: null, metadata: null, label: 'batch_1', inputFileRef: 'in-1',
    });
    const inner = {
      deployment,
      capabilities: { fileStaging: 'bucket', lineFormat: 'native', batchExecution: 'native', retrieveFile: true, deleteFile: true, listFiles: true, cancelBatch: true, limits: NO_LIMITS },
      retrieveBatch: async () => upstream(),
      openResults: () => from([ok(1, 'one'), ok(2, 'two'), ok(3, 'three'), ok(4, 'four'), ok(5, 'five')]),
    } as unknown as ProviderAdapter;
    const registry: ProviderRegistry = { kinds: ['vertex_ai'], adapterFor: () => inner };
    await store.batches.insert(batchRecord({ id: 'batch_1', deploymentId: 'dep-native', upstreamRef: 'job-1', inputFileId: 'file-1' }));
    const adapter = withCollectedResults(registry, { store, blobs, clock: { now: () => 10_000 }, logger: silentLogger }).adapterFor(deployment);
    const opts = { signal: AbortSignal.timeout(5_000) };

    expect((await adapter.retrieveBatch('job-1', opts)).status).toBe('in_progress');
    status = 'completed';
    const meanwhile = await adapter.retrieveBatch('job-1', opts);
    expect(meanwhile).toMatchObject({ status: 'finalizing', completedAt: null, outputFileRef: null, finalizingAt: 10 });
    let done = meanwhile;
    for (let i = 0; i < 100 && done.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      done = await adapter.retrieveBatch('job-1', opts);
    }
    expect(done).toMatchObject({ status: 'completed', requestCounts: { total: 5, completed: 5, failed: 0 }, errorFileRef: null });
    expect(done.outputFileRef).not.toBeNull();
    const content = await adapter.openFileContent(done.outputFileRef!, opts);
    const parts: Buffer[] = [];
    for await (const c of content.body) parts.push(c as Buffer);
    expect(jsonLines(Buffer.concat(parts).toString()).map((l) => l['custom_id'])).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    expect((await adapter.retrieveFile(done.outputFileRef!, opts)).bytes).toBe(content.bytes);
    await adapter.deleteFile(done.outputFileRef!, opts);
    await expect(adapter.retrieveFile(done.outputFileRef!, opts)).rejects.toMatchObject({ isNotFound: true });
  });
});
