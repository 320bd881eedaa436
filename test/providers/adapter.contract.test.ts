/**
 * The ProviderAdapter contract, run against every adapter and URL style through the registry,
 * each against its fake upstream: files, batches, status mapping and error classification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_STATUSES } from '../../src/contracts/openai.js';
import type { ProviderAdapter } from '../../src/domain/ports/provider-adapter.js';
import { UpstreamError } from '../../src/errors/upstream-error.js';
import { createProviderRegistry, type ClosableProviderRegistry } from '../../src/providers/registry.js';
import { FAKE_COMPLETION_TOKENS, FAKE_PROMPT_TOKENS, startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import {
  deploymentOf,
  jsonl,
  opts,
  readAll,
  requestLines,
  sha256,
  streamOf,
  TARGETS,
  uploadBatchFile,
  upstreamErrorOf,
} from './support.js';

const MODEL = 'gpt-4o-mini-deployment';

describe.each(TARGETS)('ProviderAdapter contract: $name', (target) => {
  let fake: FakeUpstream;
  let registry: ClosableProviderRegistry;
  let adapter: ProviderAdapter;
  const deploymentId = `dep-${target.name.replace(/\s/g, '-')}`;

  beforeAll(async () => {
    fake = await startFakeUpstream(target.fake);
    registry = createProviderRegistry({ timeoutMs: 5000 });
    adapter = registry.adapterFor(deploymentOf(deploymentId, target.provider, target.params(fake)));
  });

  const extraRegistries: ClosableProviderRegistry[] = [];

  afterAll(async () => {
    await Promise.all([registry, ...extraRegistries].map((r) => r?.close()));
    await fake?.close();
  });

  /** An adapter of the same upstream with other params or another timeout. */
  const adapterWith = (overrides: Record<string, unknown>, timeoutMs = 5000): ProviderAdapter => {
    const extra = createProviderRegistry({ timeoutMs });
    extraRegistries.push(extra);
    return extra.adapterFor(deploymentOf(`${deploymentId}-x`, target.provider, target.params(fake, overrides)));
  };

  describe('files', () => {
    const content = jsonl(requestLines(MODEL, ['a', 'b', 'c']));

    it('uploads a streamed body with its exact length, bytes and sha256 intact', async () => {
      const before = fake.requests.length;
      const file = await adapter.uploadFile(
        { filename: 'input.jsonl', purpose: 'batch', body: streamOf(content, 7), bytes: Buffer.byteLength(content), label: 'file-TESTLABEL000000000000000', expiresAfter: null },
        opts(),
      );
      expect(file).toMatchObject({ bytes: Buffer.byteLength(content), filename: 'input.jsonl', purpose: 'batch', status: target.uploadedStatus });
      expect(fake.fileSha256(file.ref)).toBe(sha256(content));
      expect(fake.fileModels(file.ref)).toEqual([MODEL]);
      const sent = fake.requests.slice(before).find((r) => r.method === 'POST');
      expect(sent?.headers['content-length']).toMatch(/^\d+$/);
      expect(sent?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    });

    it('uploads chunked when the length is unknown, and sends expires_after', async () => {
      const before = fake.requests.length;
      const file = await adapter.uploadFile(
        { filename: 'rewritten.jsonl', purpose: 'batch', body: streamOf(content), bytes: null, label: 'file-TESTLABEL000000000000000', expiresAfter: { anchor: 'created_at', seconds: 7200 } },
        opts(),
      );
      expect(fake.fileSha256(file.ref)).toBe(sha256(content));
      // Azure accepts 14 days at least; the adapter raises shorter expiries to that.
      expect(file.expiresAt).toBe((file.createdAt ?? 0) + (target.provider === 'azure' ? 1_209_600 : 7200));
      const sent = fake.requests.slice(before).find((r) => r.method === 'POST');
      expect(sent?.headers['transfer-encoding']).toBe('chunked');
      expect(sent?.headers['content-length']).toBeUndefined();
    });

    it('retrieves a file and maps every field', async () => {
      const ref = await uploadBatchFile(adapter, content);
      const file = await adapter.retrieveFile(ref, opts());
      const stored = fake.files.get(ref);
      expect(file).toEqual({
        ref,
        bytes: Buffer.byteLength(content),
        createdAt: stored?.createdAt,
        expiresAt: stored?.expiresAt,
        filename: 'input.jsonl',
        purpose: 'batch',
        status: 'processed',
        // The gateway file id it was uploaded with travels in the upstream filename.
        label: 'file-TESTLABEL000000000000000',
      });
      expect(stored?.filename).toBe('file-TESTLABEL000000000000000__input.jsonl');
    });

    it('streams content back byte for byte with its content type and length', async () => {
      const ref = await uploadBatchFile(adapter, content);
      const download = await adapter.openFileContent(ref, opts());
      expect(download.contentType).toBe('application/octet-stream');
      expect(download.bytes).toBe(Buffer.byteLength(content));
      expect(await readAll(download.body)).toBe(content);
    });

    it('deletes a file, after which it is not found', async () => {
      const ref = await uploadBatchFile(adapter, content);
      await adapter.deleteFile(ref, opts());
      expect(fake.files.has(ref)).toBe(false);
      const error = await upstreamErrorOf(() => adapter.retrieveFile(ref, opts()));
      expect(error.isNotFound).toBe(true);
      expect((await upstreamErrorOf(() => adapter.openFileContent(ref, opts()))).isNotFound).toBe(true);
    });

    it('passes the upstream 400 for a non-.jsonl batch upload through', async () => {
      const error = await upstreamErrorOf(() => uploadBatchFile(adapter, content, 'input.txt'));
      expect(error).toMatchObject({ failure: 'http', status: 400, upstreamMessage: 'Invalid file format for Batch API. Must be .jsonl' });
      expect(error.retryable).toBe(false);
      expect(error.toGatewayError()).toMatchObject({ status: 400, message: 'Invalid file format for Batch API. Must be .jsonl' });
    });

    it('probes with an authenticated list call', async () => {
      const before = fake.requests.length;
      await adapter.probe(opts());
      const probe = fake.requests[before];
      expect(probe?.method).toBe('GET');
      expect(probe?.path.endsWith('/files')).toBe(true);
      expect(probe?.query['limit']).toBe('1');
    });
  });

  describe('finding what a crash left (write-ahead labels)', () => {
    const collect = async <T,>(items: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = [];
      for await (const item of items) out.push(item);
      return out;
    };
    const label = (n: number): string => `file-LISTLABEL${String(n).padStart(15, '0')}`;

    it('lists files newest first with the label each was uploaded with, across pages', async () => {
      const refs: string[] = [];
      for (let i = 0; i < 3; i++) {
        const file = await adapter.uploadFile(
          { filename: 'in.jsonl', purpose: 'batch', body: streamOf(jsonl(requestLines(MODEL, [`l${i}`]))), bytes: null, expiresAfter: null, label: label(i) },
          opts(),
        );
        refs.push(file.ref);
      }
      const listed = await collect(adapter.listFilesSince(0, opts()));
      const mine = listed.filter((f) => refs.includes(f.ref));
      expect(mine.map((f) => f.label)).toEqual([label(2), label(1), label(0)]);
      expect(mine.every((f) => f.filename === 'in.jsonl')).toBe(true);
      // Nothing is listed from before `since`.
      const future = Math.floor(Date.now() / 1000) + 3600;
      expect(await collect(adapter.listFilesSince(future, opts()))).toEqual([]);
    });

    it('lists batches with their label, and keeps it out of the metadata', async () => {
      const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['x'])));
      const batchLabel = 'batch_LISTLABEL000000000000001';
      const created = await adapter.createBatch(
        { inputFileRef: ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: { team: 'a' }, label: batchLabel, outputExpiresAfter: null },
        opts(),
      );
      expect(created.label).toBe(batchLabel);
      expect(created.metadata).toEqual({ team: 'a' });
      expect(created.inputFileRef).toBe(ref);
      const found = (await collect(adapter.listBatchesSince(0, opts()))).find((b) => b.ref === created.ref);
      expect(found?.label).toBe(batchLabel);
      expect(found?.metadata).toEqual({ team: 'a' });
    });
  });

  describe('batches', () => {
    const create = async (customIds: readonly string[], extra: { metadata?: Record<string, string> } = {}) => {
      const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, customIds)));
      return adapter.createBatch(
        { inputFileRef: ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: extra.metadata ?? null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null },
        opts(),
      );
    };

    it('creates a batch, then follows it to completed with output and error files', async () => {
      const created = await create(['ok-1', 'ok-2', 'fail-3'], { metadata: { run: 'contract' } });
      expect(created).toMatchObject({
        status: 'validating',
        endpoint: '/v1/chat/completions',
        completionWindow: '24h',
        metadata: { run: 'contract' },
        outputFileRef: null,
        errorFileRef: null,
        requestCounts: { total: 0, completed: 0, failed: 0 },
      });
      expect(created.createdAt).toEqual(expect.any(Number));
      expect(created.expiresAt).toBe((created.createdAt ?? 0) + 86_400);

      const seen = [created.status];
      let batch = created;
      for (let i = 0; i < 5 && batch.status !== 'completed'; i++) {
        batch = await adapter.retrieveBatch(created.ref, opts());
        seen.push(batch.status);
      }
      expect(seen).toEqual(['validating', 'in_progress', 'finalizing', 'completed']);
      expect(batch.requestCounts).toEqual({ total: 3, completed: 2, failed: 1 });
      for (const at of [batch.inProgressAt, batch.finalizingAt, batch.completedAt]) expect(at).toEqual(expect.any(Number));
      expect(batch.failedAt).toBeNull();

      const output = (await readAll((await adapter.openFileContent(batch.outputFileRef ?? '', opts())).body)).trim().split('\n');
      const successes = output.map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: { model: string } }; error: null });
      expect(successes.map((l) => l.custom_id).sort()).toEqual(['ok-1', 'ok-2']);
      expect(successes.every((l) => l.response.status_code === 200 && l.response.body.model === MODEL && l.error === null)).toBe(true);

      const errors = (await readAll((await adapter.openFileContent(batch.errorFileRef ?? '', opts())).body)).trim().split('\n');
      expect(errors.map((line) => JSON.parse(line) as unknown)).toEqual([
        expect.objectContaining({ custom_id: 'fail-3', response: expect.objectContaining({ status_code: 400 }), error: null }),
      ]);
      if (target.provider === 'openai') {
        expect(batch.usage).toMatchObject({ input_tokens: 2 * FAKE_PROMPT_TOKENS, output_tokens: 2 * FAKE_COMPLETION_TOKENS });
      }
      expect((await adapter.retrieveFile(batch.outputFileRef ?? '', opts())).purpose).toBe('batch_output');
    });

    it('reports null output and error refs when there are none', async () => {
      const created = await create(['fail-only']);
      let batch = created;
      for (let i = 0; i < 5 && batch.status !== 'completed'; i++) batch = await adapter.retrieveBatch(created.ref, opts());
      expect(batch).toMatchObject({ status: 'completed', outputFileRef: null, requestCounts: { total: 1, completed: 0, failed: 1 } });
      expect(batch.errorFileRef).toEqual(expect.any(String));
    });

    it('sends metadata only when set, and output_expires_after when given', async () => {
      const ref = await uploadBatchFile(adapter, jsonl(requestLines(MODEL, ['x'])));
      const batch = await adapter.createBatch(
        { inputFileRef: ref, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: { anchor: 'created_at', seconds: 3600 } },
        opts(),
      );
      expect(batch.metadata).toBeNull();
      expect(fake.batches.get(batch.ref)?.outputExpiresAfterSeconds).toBe(target.provider === 'azure' ? 1_209_600 : 3600);
    });

    it('cancels a running batch: cancelling, then cancelled', async () => {
      const created = await create(['c-1', 'c-2']);
      await adapter.retrieveBatch(created.ref, opts()); // in_progress
      const cancelling = await adapter.cancelBatch(created.ref, opts());
      expect(cancelling.status).toBe('cancelling');
      expect(cancelling.cancellingAt).toEqual(expect.any(Number));
      const cancelled = await adapter.retrieveBatch(created.ref, opts());
      expect(cancelled).toMatchObject({ status: 'cancelled', requestCounts: { total: 2, completed: 0, failed: 2 } });
      expect(cancelled.cancelledAt).toEqual(expect.any(Number));
    });

    it('refuses to cancel a terminal batch with a 4xx kept as it came', async () => {
      const created = await create(['t-1']);
      await fake.advance(created.ref, 'completed');
      const error = await upstreamErrorOf(() => adapter.cancelBatch(created.ref, opts()));
      expect(error).toMatchObject({ failure: 'http', status: 400 });
      expect(error.upstreamMessage).toContain("status 'completed'");
    });

    it('maps every batch status the upstream reports', async () => {
      fake.setAutoProgress(false);
      try {
        for (const status of BATCH_STATUSES) {
          const created = await create([`s-${status}`]);
          await fake.advance(created.ref, status);
          expect((await adapter.retrieveBatch(created.ref, opts())).status).toBe(status);
        }
      } finally {
        fake.setAutoProgress(true);
      }
    });

    it('rejects a status it does not know with a 502-class UpstreamError naming it', async () => {
      const created = await create(['u-1']);
      fake.overrideBatch(created.ref, { status: 'paused_for_lunch' });
      const error = await upstreamErrorOf(() => adapter.retrieveBatch(created.ref, opts()));
      expect(error).toMatchObject({ failure: 'http', status: 502 });
      expect(error.upstreamMessage).toContain("'paused_for_lunch'");
      expect(error.toGatewayError().status).toBe(502);
    });

    it('passes a 400 naming input_file_id through for an unknown input file', async () => {
      const error = await upstreamErrorOf(() =>
        adapter.createBatch({ inputFileRef: 'file-missing', endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null }, opts()),
      );
      expect(error).toMatchObject({ failure: 'http', status: 400, upstreamParam: 'input_file_id' });
      expect(error.toGatewayError()).toMatchObject({ status: 400, param: 'input_file_id' });
    });

    it('answers not-found for an unknown batch', async () => {
      expect((await upstreamErrorOf(() => adapter.retrieveBatch('batch_missing', opts()))).isNotFound).toBe(true);
    });
  });

  describe('error classification', () => {
    it('turns an upstream 401 into a 502 naming the deployment (the client\'s key is not at fault), without either key', async () => {
      const wrong = adapterWith({ api_key: 'wrong-key-that-is-long-enough' });
      const error = await upstreamErrorOf(() => wrong.probe(opts()));
      expect(error).toMatchObject({ failure: 'http', status: 401, deploymentId: `${deploymentId}-x` });
      expect(error.upstreamMessage).toMatch(target.provider === 'openai' ? /^Incorrect API key provided/ : /^Access denied due to invalid subscription key/);
      const gateway = error.toGatewayError();
      expect(gateway).toMatchObject({ status: 502, type: 'server_error', wireCode: 'upstream_authentication_failed' });
      expect(gateway.message).toContain(`Deployment '${deploymentId}-x' rejected the credentials`);
      expect(gateway.message).toContain(error.upstreamMessage);
      for (const text of [error.message, gateway.message]) {
        expect(text).not.toContain('wrong-key-that-is-long-enough');
        expect(text).not.toContain(target.apiKey);
      }
    });

    it('carries Retry-After on a 429 and stays retryable', async () => {
      fake.failNext('retrieveFile', { status: 429, headers: { 'retry-after': '7' } });
      const error = await upstreamErrorOf(() => adapter.retrieveFile('file-any', opts()));
      expect(error).toMatchObject({ failure: 'http', status: 429, retryAfterSeconds: 7, retryable: true });
      expect(error.toGatewayError()).toMatchObject({ status: 429, type: 'rate_limit_error', retryAfterSeconds: 7 });
    });

    it('turns a 500 into a retryable error that becomes a 502 naming the deployment', async () => {
      fake.failNext('createBatch', { status: 500 });
      const error = await upstreamErrorOf(() =>
        adapter.createBatch({ inputFileRef: 'file-x', endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null }, opts()),
      );
      expect(error).toMatchObject({ failure: 'http', status: 500, retryable: true });
      const gateway = error.toGatewayError();
      expect(gateway.status).toBe(502);
      expect(gateway.message).toContain(deploymentId);
      expect(gateway.message).not.toContain(target.apiKey);
    });

    it('scrubs the key from an upstream message that echoes it', async () => {
      fake.failNext('retrieveBatch', { status: 403, body: { error: { message: `key ${target.apiKey} may not do this`, type: 'permission_error', param: null, code: null } } });
      const error = await upstreamErrorOf(() => adapter.retrieveBatch('batch_x', opts()));
      expect(error.upstreamMessage).toBe('key [REDACTED] may not do this');
      expect(error.message).not.toContain(target.apiKey);
    });

    it('times out a call that never answers: failure timeout, 504', async () => {
      const impatient = adapterWith({}, 300);
      fake.hangNext('retrieveFile');
      const started = Date.now();
      const error = await upstreamErrorOf(() => impatient.retrieveFile('file-hang', opts()));
      expect(Date.now() - started).toBeLessThan(3000);
      expect(error).toMatchObject({ failure: 'timeout', retryable: true });
      expect(error.toGatewayError()).toMatchObject({ status: 504, code: 'upstream_timeout' });
    });

    it('classifies a refused connection as connection, 502', async () => {
      await fake.down();
      try {
        const error = await upstreamErrorOf(() => adapter.retrieveFile('file-down', opts()));
        expect(error).toMatchObject({ failure: 'connection', retryable: true });
        expect(error.toGatewayError()).toMatchObject({ status: 502, code: 'upstream_error' });
        expect(error.toGatewayError().message).toContain(deploymentId);
      } finally {
        await fake.up();
      }
      await adapter.probe(opts()); // and recovers once the upstream is back
    });

    it('classifies a reset connection as connection', async () => {
      await fake.down('reset');
      try {
        expect((await upstreamErrorOf(() => adapter.retrieveFile('file-reset', opts()))).failure).toBe('connection');
      } finally {
        await fake.up();
      }
    });

    it("rethrows the caller's own abort untouched", async () => {
      const controller = new AbortController();
      fake.delayNext('retrieveFile', 2000);
      const pending = adapter.retrieveFile('file-slow', { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('client went away')), 50);
      const error: unknown = await pending.catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ message: 'client went away' });
    });
  });
});
