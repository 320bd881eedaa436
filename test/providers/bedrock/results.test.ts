/** Bedrock adapter, results: read from `<output s3Uri>/<job id>/*.jsonl.out`, converted per line. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBedrockFakes, type BedrockFakes } from '../../fakes/fake-bedrock.js';
import { adapterOver, byLine, collect, expectClean, NOVA_MODEL, opts, uploadAndCreate } from './support.js';

let fakes: BedrockFakes;
beforeAll(async () => {
  fakes = await startBedrockFakes();
});
afterAll(async () => fakes.close());
beforeEach(() => {
  fakes.s3.objects.clear();
  fakes.bedrock.reset();
});

const lineOf = (recordId: string): number => Number(recordId.slice(1));

describe('openResults', () => {
  it('converts every Anthropic record to a chat.completion, joined back by line number', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 120);
    fakes.bedrock.finish(batchRef);
    const gets = fakes.s3.stats().requests['GetObject'] ?? 0;
    const results = byLine(await collect(adapter.openResults(batchRef, opts())));
    expect(results.size).toBe(120);
    // One output file read; the input is not read when every record has its result.
    expect(fakes.s3.stats().requests['GetObject']).toBe(gets + 1);
    const line7 = results.get(7)!;
    expect(line7.error).toBeNull();
    expect(line7.response).toMatchObject({
      statusCode: 200,
      body: {
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'echo: question 7' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: expect.any(Number), completion_tokens: 3 },
      },
    });
    expect(fakes.s3.stats().signatureFailures).toBe(0);
  });

  it('converts Converse records (Nova) too', async () => {
    const adapter = adapterOver(fakes, {}, NOVA_MODEL);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.finish(batchRef);
    const results = byLine(await collect(adapter.openResults(batchRef, opts())));
    expect(results.size).toBe(100);
    expect(results.get(100)!.response).toMatchObject({
      statusCode: 200,
      body: { model: NOVA_MODEL, choices: [{ message: { content: 'echo: question 100' }, finish_reason: 'stop' }], usage: { total_tokens: expect.any(Number) } },
    });
  });

  it('turns error records into error responses with their status and a scrubbed message', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.finish(batchRef, {
      fail: (r) =>
        lineOf(r.recordId) % 10 === 0
          ? { errorCode: 400, errorMessage: `Malformed input request in s3://batch-bucket/batchgate/file-abc123/requests.jsonl for arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/x` }
          : null,
    });
    const results = byLine(await collect(adapter.openResults(batchRef, opts())));
    expect(results.size).toBe(100);
    const failed = results.get(30)!;
    expect(failed.error).toBeNull();
    expect(failed.response?.statusCode).toBe(400);
    const body = failed.response?.body as { error: { message: string; type: string; param: null; code: null } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(body.error.message).toContain('Malformed input request');
    expectClean(body.error.message);
    expect(results.get(31)!.response?.statusCode).toBe(200);
    expect((await adapter.retrieveBatch(batchRef, opts())).requestCounts).toEqual({ total: 100, completed: 90, failed: 10 });
  });

  it('reports records a partially completed job never ran as batch_expired', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.finish(batchRef, { drop: (r) => lineOf(r.recordId) > 80 });
    const batch = await adapter.retrieveBatch(batchRef, opts());
    expect(batch.status).toBe('completed');
    expect(batch.requestCounts).toEqual({ total: 100, completed: 80, failed: 20 });
    const results = byLine(await collect(adapter.openResults(batchRef, opts())));
    expect(results.size).toBe(100);
    expect(results.get(81)).toEqual({ lineNo: 81, response: null, error: { code: 'batch_expired', message: expect.any(String) } });
    expect(results.get(80)!.response?.statusCode).toBe(200);
  });

  it('reports records a stopped job never ran as batch_cancelled', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.finish(batchRef, { drop: (r) => lineOf(r.recordId) % 2 === 0, status: 'Stopped' });
    const results = byLine(await collect(adapter.openResults(batchRef, opts())));
    expect(results.size).toBe(100);
    expect(results.get(2)!.error?.code).toBe('batch_cancelled');
    expect(results.get(3)!.response?.statusCode).toBe(200);
  });

  it('reads only `<output s3Uri>/<job id>/`, every *.out but the manifest', async () => {
    const adapter = adapterOver(fakes);
    const { batchRef } = await uploadAndCreate(adapter, 100);
    fakes.bedrock.finish(batchRef);
    const jobId = batchRef.split('/').pop()!;
    const decoy = (key: string, recordId: string): void => {
      const line = JSON.stringify({ recordId, modelInput: {}, error: { errorCode: 500, errorMessage: 'decoy' } });
      fakes.s3.objects.set(key, { data: Buffer.from(`${line}\n`), etag: '"d"', contentType: 'x' });
    };
    // LiteLLM read outputs from the wrong place; these must not be read.
    decoy('batchgate-out/batch_abc123DEF456ghi789JKL012/requests.jsonl.out', 'L0000000001');
    decoy(`batchgate-out/other/${jobId}/requests.jsonl.out`, 'L0000000002');
    // A second output file of the same job is read.
    decoy(`batchgate-out/batch_abc123DEF456ghi789JKL012/${jobId}/more.jsonl.out`, 'L0000000101');
    const keys = [...fakes.s3.objects.keys()].filter((k) => k.includes(jobId));
    expect(keys).toContain(`batchgate-out/batch_abc123DEF456ghi789JKL012/${jobId}/requests.jsonl.out`);
    expect(keys).toContain(`batchgate-out/batch_abc123DEF456ghi789JKL012/${jobId}/manifest.json.out`);
    const results = await collect(adapter.openResults(batchRef, opts()));
    expect(results).toHaveLength(101);
    expect(results.filter((r) => r.lineNo === 1)).toHaveLength(1);
    expect(results.find((r) => r.lineNo === 1)!.response?.statusCode).toBe(200);
    expect(results.find((r) => r.lineNo === 101)!.response?.statusCode).toBe(500);
  });

  it('runs a whole job with autoRun: InProgress on the first poll, Completed with output on the next', async () => {
    const auto = await startBedrockFakes({ autoRun: true });
    try {
      const adapter = adapterOver(auto);
      const { batchRef } = await uploadAndCreate(adapter, 100);
      expect((await adapter.retrieveBatch(batchRef, opts())).status).toBe('in_progress');
      const done = await adapter.retrieveBatch(batchRef, opts());
      expect(done.status).toBe('completed');
      expect(done.requestCounts).toEqual({ total: 100, completed: 100, failed: 0 });
      expect(await collect(adapter.openResults(batchRef, opts()))).toHaveLength(100);
    } finally {
      await auto.close();
    }
  });
});
