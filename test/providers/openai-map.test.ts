/** The OpenAI-shape mappers and request bodies, on hand-written upstream JSON. */
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors/upstream-error.js';
import { createAzureNormalizer, toUnixSeconds } from '../../src/providers/azure/normalize.js';
import { createBatchBody } from '../../src/providers/openai/batches.js';
import { toUpstreamBatch, toUpstreamFile } from '../../src/providers/openai/map.js';

const malformed = (what: string): UpstreamError =>
  new UpstreamError({ deploymentId: 'dep-map', failure: 'http', status: 502, message: `unexpected answer from upstream: ${what}` });

describe('createBatchBody', () => {
  it('leaves out output_expires_after when null, and labels the batch with its gateway id', () => {
    expect(createBatchBody({ inputFileRef: 'file-1', endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null })).toEqual({
      input_file_id: 'file-1',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { batchgate_batch_id: 'batch_TESTLABEL000000000000000' },
    });
  });

  it('leaves a create that already uses all 16 metadata pairs unlabelled', () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    const body = createBatchBody({ inputFileRef: 'file-1', endpoint: '/v1/chat/completions', completionWindow: '24h', metadata, label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: null });
    expect(body['metadata']).toEqual(metadata);
  });

  it('reads the label back out of the metadata, which the client never sees', () => {
    const batch = toUpstreamBatch(
      { id: 'batch_up', status: 'validating', metadata: { a: 'b', batchgate_batch_id: 'batch_TESTLABEL000000000000000' } },
      malformed,
    );
    expect(batch.label).toBe('batch_TESTLABEL000000000000000');
    expect(batch.metadata).toEqual({ a: 'b' });
    const unlabelled = toUpstreamBatch({ id: 'batch_up', status: 'validating', metadata: { batchgate_batch_id: 'x' } }, malformed);
    expect(unlabelled.metadata).toBeNull();
  });

  it('sends them when given', () => {
    expect(
      createBatchBody({
        inputFileRef: 'file-1',
        endpoint: '/v1/embeddings',
        completionWindow: '24h',
        metadata: { a: 'b' },
        label: 'batch_TESTLABEL000000000000000', outputExpiresAfter: { anchor: 'created_at', seconds: 3600 },
      }),
    ).toMatchObject({ metadata: { a: 'b' }, output_expires_after: { anchor: 'created_at', seconds: 3600 } });
  });
});

describe('toUpstreamBatch', () => {
  const full = {
    id: 'batch_abc',
    object: 'batch',
    endpoint: '/v1/chat/completions',
    model: 'gpt-4o-mini-2024-07-18',
    errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'bad', param: null, line: 4 }] },
    input_file_id: 'file-in',
    completion_window: '24h',
    status: 'failed',
    output_file_id: null,
    error_file_id: 'file-err',
    created_at: 1711471533,
    in_progress_at: null,
    expires_at: 1711557933,
    finalizing_at: null,
    completed_at: null,
    failed_at: 1711471540,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    usage: { input_tokens: 5, input_tokens_details: { cached_tokens: 1 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 },
    metadata: { job: 'nightly', n: 3 },
  };

  it('maps every field, keeping raw ids as refs', () => {
    expect(toUpstreamBatch(full, malformed)).toEqual({
      ref: 'batch_abc',
      status: 'failed',
      endpoint: '/v1/chat/completions',
      completionWindow: '24h',
      model: 'gpt-4o-mini-2024-07-18',
      errors: [{ code: 'invalid_json_line', message: 'bad', param: null, line: 4 }],
      outputFileRef: null,
      errorFileRef: 'file-err',
      createdAt: 1711471533,
      inProgressAt: null,
      expiresAt: 1711557933,
      finalizingAt: null,
      completedAt: null,
      failedAt: 1711471540,
      expiredAt: null,
      cancellingAt: null,
      cancelledAt: null,
      requestCounts: { total: 0, completed: 0, failed: 0 },
      usage: { input_tokens: 5, input_tokens_details: { cached_tokens: 1 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 },
      // Non-string metadata values are dropped, not guessed at.
      metadata: { job: 'nightly' },
      label: null,
      inputFileRef: 'file-in',
    });
  });

  it('reads a sparse batch leniently', () => {
    expect(toUpstreamBatch({ id: 'batch_min', status: 'validating' }, malformed)).toMatchObject({
      errors: null,
      usage: null,
      metadata: null,
      requestCounts: { total: 0, completed: 0, failed: 0 },
      createdAt: null,
    });
  });

  it.each([
    [null, 'expected a Batch object, got null'],
    [[], 'expected a Batch object'],
    [{ status: 'completed' }, 'Batch object without an id'],
    [{ id: 'batch_x' }, "batch batch_x has status (none), which batchgate does not know"],
    [{ id: 'batch_x', status: 'Validating' }, "batch batch_x has status 'Validating', which batchgate does not know"],
    [{ id: 'batch_x', status: 'toString' }, "'toString'"],
  ])('rejects %j', (raw, message) => {
    expect(() => toUpstreamBatch(raw, malformed)).toThrow(message);
  });
});

describe('toUpstreamFile', () => {
  it('maps a File object', () => {
    expect(
      toUpstreamFile(
        { id: 'file-1', object: 'file', bytes: 817, created_at: 1743398147, expires_at: null, filename: 'r.jsonl', purpose: 'batch', status: 'processed', status_details: null },
        malformed,
      ),
    ).toEqual({ ref: 'file-1', bytes: 817, createdAt: 1743398147, expiresAt: null, filename: 'r.jsonl', purpose: 'batch', status: 'processed', label: null });
  });

  it('treats a missing (deprecated) status as processed, and rejects an unknown one', () => {
    expect(toUpstreamFile({ id: 'file-1' }, malformed).status).toBe('processed');
    expect(() => toUpstreamFile({ id: 'file-1', status: 'pending' }, malformed)).toThrow("status 'pending'");
  });
});

describe('Azure normaliser', () => {
  const normalizer = createAzureNormalizer('dep-az', malformed);

  it('converts timestamps in every form', () => {
    expect(toUnixSeconds(1721409237)).toBe(1721409237);
    expect(toUnixSeconds('1721409237')).toBe(1721409237);
    expect(toUnixSeconds('2024-07-19T17:13:57.2491382+00:00')).toBe(1721409237);
    expect(toUnixSeconds('not a date')).toBeNull();
    expect(toUnixSeconds(null)).toBeNull();
  });

  it('leaves OpenAI-shaped objects as they are', () => {
    const batch = { id: 'batch_1', status: 'completed', created_at: 5, errors: null };
    expect(normalizer.batch(batch)).toEqual(batch);
  });

  it('rewrites an old-preview batch into OpenAI shape', () => {
    expect(
      normalizer.batch({
        id: 'batch_1',
        status: 'InProgress',
        created_at: '2024-07-19T17:13:57.2491382+00:00',
        errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'x', line: '12' }, { code: 'y', message: 'z', line: 'n/a' }] },
      }),
    ).toEqual({
      id: 'batch_1',
      status: 'in_progress',
      created_at: 1721409237,
      errors: { object: 'list', data: [{ code: 'invalid_json_line', message: 'x', line: 12 }, { code: 'y', message: 'z', line: null }] },
    });
  });
});
