/** Bedrock adapter, batch jobs: create body, idempotency, every status, stop, list, probe, errors. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BatchStatus } from '../../../src/contracts/openai.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { labelOfJobName } from '../../../src/providers/bedrock/job-names.js';
import { startBedrockFakes, type BedrockFakes, type JobStatus } from '../../fakes/fake-bedrock.js';
import { adapterOver, collect, expectClean, NOVA_MODEL, opts, rejectionOf, uploadAndCreate } from './support.js';

let fakes: BedrockFakes;
beforeAll(async () => {
  fakes = await startBedrockFakes();
});
afterAll(async () => fakes.close());
beforeEach(() => {
  fakes.s3.objects.clear();
  fakes.bedrock.reset();
});

describe('createBatch', () => {
  it('sends every field Bedrock needs and returns the job as Get reads it', async () => {
    const adapter = adapterOver(fakes, { s3_encryption_key_id: 'alias/batch' });
    const { fileRef, batchRef } = await uploadAndCreate(adapter, 100, 'batch_abc123DEF456ghi789JKL012');
    const body = fakes.bedrock.createBodies[0]!;
    expect(body).toMatchObject({
      jobName: 'batchgate-batch-abc123DEF456ghi789JKL012',
      roleArn: fakes.params['aws_batch_role_arn'],
      modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      modelInvocationType: 'InvokeModel',
      inputDataConfig: { s3InputDataConfig: { s3Uri: fileRef, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch-bucket/batchgate-out/batch_abc123DEF456ghi789JKL012/', s3EncryptionKeyId: 'alias/batch' } },
      timeoutDurationInHours: 24,
    });
    expect(body['clientRequestToken']).toMatch(/^batchgate-batch-abc123DEF456ghi789JKL012-[0-9a-f]{8}$/);
    const batch = await adapter.retrieveBatch(batchRef, opts());
    expect(batch).toMatchObject({
      ref: batchRef,
      status: 'validating',
      label: 'batch_abc123DEF456ghi789JKL012',
      inputFileRef: fileRef,
      model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      outputFileRef: null,
      errorFileRef: null,
      requestCounts: { total: 100, completed: 0, failed: 0 },
    });
    expect(batch.expiresAt! - batch.createdAt!).toBe(86_400);
    expect(fakes.bedrock.stats().signatureFailures).toBe(0);
  });

  it('uses the Converse invocation type for Nova', async () => {
    await uploadAndCreate(adapterOver(fakes, {}, NOVA_MODEL), 100);
    expect(fakes.bedrock.createBodies[0]).toMatchObject({ modelId: NOVA_MODEL, modelInvocationType: 'Converse' });
  });

  it('is idempotent per label: a repeated create answers the same job', async () => {
    const adapter = adapterOver(fakes);
    const first = await uploadAndCreate(adapter, 100, 'batch_same1');
    const again = await adapter.createBatch(
      { inputFileRef: first.fileRef, endpoint: '/v1/chat/completions', completionWindow: '24h', metadata: null, outputExpiresAfter: null, label: 'batch_same1' },
      opts(),
    );
    expect(again.ref).toBe(first.batchRef);
    expect(fakes.bedrock.jobs.size).toBe(1);
  });

  it('keeps labels reversible through jobName', () => {
    for (const label of ['batch_abc', 'batch_a-b_c', 'x.y_z-1']) {
      expect(labelOfJobName(`batchgate-${label.replace(/-/g, '+').replace(/_/g, '-')}`)).toBe(label);
    }
    expect(labelOfJobName('someone-elses-job')).toBeNull();
  });

  it('a job below the minimum record count fails with Bedrock’s message, scrubbed', async () => {
    const { batchRef } = await uploadAndCreate(adapterOver(fakes), 10);
    const batch = await adapterOver(fakes).retrieveBatch(batchRef, opts());
    expect(batch.status).toBe('failed');
    expect(batch.failedAt).toBeTypeOf('number');
    expect(batch.errors).toHaveLength(1);
    expect(batch.errors![0]!.message).toContain('less records (10) than the required minimum of: 100');
    expectClean(batch.errors![0]!.message);
  });

  it('a refused create is an UpstreamError with Bedrock’s status and name, naming no resource', async () => {
    const adapter = adapterOver(fakes);
    fakes.bedrock.failNext('Create', { kind: 'status', status: 400, type: 'ValidationException', message: 'Role arn:aws:iam::123456789012:role/BedrockBatchRole cannot read s3://batch-bucket/batchgate/file-abc123/requests.jsonl' });
    const err = (await rejectionOf(uploadAndCreate(adapter, 100))) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.status).toBe(400);
    expect(err.upstreamCode).toBe('ValidationException');
    expect(err.retryable).toBe(false);
    expectClean(err.message);
    expectClean(err.toGatewayError().message);
  });

  it('throttling and 5xx are retryable', async () => {
    const adapter = adapterOver(fakes);
    fakes.bedrock.failNext('Create', { kind: 'status', status: 429, type: 'ThrottlingException', message: 'Too many requests' });
    const throttled = (await rejectionOf(uploadAndCreate(adapter, 100))) as UpstreamError;
    expect(throttled.upstreamCode).toBe('ThrottlingException');
    expect(throttled.retryable).toBe(true);
    fakes.bedrock.failNext('Get', { kind: 'status', status: 503, type: 'ServiceUnavailableException' });
    const err = (await rejectionOf(adapter.retrieveBatch('arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefabcdef', opts()))) as UpstreamError;
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
  });

  it('refuses endpoints other than chat completions', async () => {
    const err = await rejectionOf(
      adapterOver(fakes).createBatch({ inputFileRef: 's3://batch-bucket/x.jsonl', endpoint: '/v1/embeddings', completionWindow: '24h', metadata: null, outputExpiresAfter: null, label: 'batch_x' }, opts()),
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('invalid_request');
  });
});

describe('retrieveBatch', () => {
  const cases: ReadonlyArray<readonly [JobStatus, BatchStatus]> = [
    ['Submitted', 'validating'],
    ['Validating', 'validating'],
    ['Scheduled', 'in_progress'],
    ['InProgress', 'in_progress'],
    ['Completed', 'completed'],
    ['PartiallyCompleted', 'completed'],
    ['Failed', 'failed'],
    ['Stopping', 'cancelling'],
    ['Stopped', 'cancelled'],
    ['Expired', 'expired'],
    ['SomethingNew' as JobStatus, 'validating'],
  ];
  it.each(cases)('maps %s to %s with its timestamps', async (bedrockStatus, status) => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.setStatus(batchRef, bedrockStatus, { lastModifiedTime: '2026-03-01T10:00:00Z', endTime: '2026-03-01T11:00:00.500Z' });
    const batch = await adapter.retrieveBatch(batchRef, opts());
    expect(batch.status).toBe(status);
    const at = (s: BatchStatus, key: keyof typeof batch, value: number) => expect(batch[key]).toBe(status === s ? value : null);
    at('in_progress', 'inProgressAt', Date.parse('2026-03-01T10:00:00Z') / 1000);
    at('cancelling', 'cancellingAt', Date.parse('2026-03-01T10:00:00Z') / 1000);
    for (const [s, key] of [['completed', 'completedAt'], ['failed', 'failedAt'], ['cancelled', 'cancelledAt'], ['expired', 'expiredAt']] as const) {
      at(s, key, Date.parse('2026-03-01T11:00:00Z') / 1000);
    }
  });

  it('counts unprocessed records of a partially completed, stopped or expired job as failed', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    const counts = { totalRecordCount: 100, processedRecordCount: 70, successRecordCount: 60, errorRecordCount: 10 };
    for (const status of ['PartiallyCompleted', 'Stopped', 'Expired'] as const) {
      fakes.bedrock.setStatus(batchRef, status, counts);
      expect((await adapter.retrieveBatch(batchRef, opts())).requestCounts).toEqual({ total: 100, completed: 60, failed: 40 });
    }
    fakes.bedrock.setStatus(batchRef, 'InProgress', counts);
    expect((await adapter.retrieveBatch(batchRef, opts())).requestCounts).toEqual({ total: 100, completed: 60, failed: 10 });
  });

  it('an unknown job is not found, and the message names no ARN or account', async () => {
    const err = (await rejectionOf(adapterOver(fakes).retrieveBatch('arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/000000000000', opts()))) as UpstreamError;
    expect(err.isNotFound).toBe(true);
    expect(err.upstreamCode).toBe('ResourceNotFoundException');
    expectClean(err.message);
  });
});

describe('cancelBatch, listBatchesSince, probe, sendRequest', () => {
  it('stops a running job and reports it cancelling; stopping a finished one is a clean 400', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.setStatus(batchRef, 'InProgress');
    expect((await adapter.cancelBatch(batchRef, opts())).status).toBe('cancelling');
    fakes.bedrock.setStatus(batchRef, 'Stopped');
    expect((await adapter.retrieveBatch(batchRef, opts())).status).toBe('cancelled');
    const err = (await rejectionOf(adapter.cancelBatch(batchRef, opts()))) as UpstreamError;
    expect(err.status).toBe(400);
    expectClean(err.message);
  });

  it('lists our jobs since a time, newest first, across pages', async () => {
    const adapter = adapterOver(fakes);
    for (const label of ['batch_one', 'batch_two', 'batch_three']) await uploadAndCreate(adapter, 100, label);
    const jobs = [...fakes.bedrock.jobs.values()];
    jobs.forEach((job, i) => (job.submitTime = new Date(Date.parse('2026-02-01T00:00:00Z') + i * 60_000).toISOString()));
    const listed = await collect(adapter.listBatchesSince(Date.parse('2026-02-01T00:01:00Z') / 1000, opts()));
    expect(listed.map((b) => b.label)).toEqual(['batch_three', 'batch_two']);
  });

  it('probes with one signed list call', async () => {
    const before = fakes.bedrock.stats().requests['List'] ?? 0;
    await adapterOver(fakes).probe(opts());
    expect(fakes.bedrock.stats().requests['List']).toBe(before + 1);
  });

  it('probe with a wrong secret fails on the signature check', async () => {
    const err = (await rejectionOf(adapterOver(fakes, { aws_secret_access_key: 'wrong-secret-0123456789' }).probe(opts()))) as UpstreamError;
    expect(err.status).toBe(403);
    expect(err.upstreamCode).toBe('InvalidSignatureException');
    expect(err.message).not.toContain('wrong-secret-0123456789');
  });

  it('does not take single requests', async () => {
    const err = await rejectionOf(adapterOver(fakes).sendRequest({ url: '/v1/chat/completions', body: {} }, opts()));
    expect((err as GatewayError).code).toBe('unsupported_operation');
  });
});
