/**
 * The scrubber every upstream string passes through before a client or the store sees it
 * (issue 7 point 5): known upstream ids become gateway ids, which survive; raw ids, URLs, bucket
 * URIs, cloud resource names and secrets become a placeholder; ordinary words are left alone; and
 * adversarial input costs linear time and is cut to a bounded length.
 */
import { describe, expect, it } from 'vitest';
import { MAX_UPSTREAM_TEXT_CHARS, REDACTED, replaceUpstreamIds, scrubUpstreamField, scrubUpstreamText } from '../../src/errors/scrub.js';
import { UpstreamError } from '../../src/errors/upstream-error.js';
import { newBatchId, newFileId } from '../../src/domain/ids.js';

const R = REDACTED;

describe('known upstream ids', () => {
  it('are replaced by their gateway ids, which survive even though they look like upstream ids', () => {
    const fileId = newFileId();
    const batchId = newBatchId();
    // OpenAI-shaped upstream ids: the same prefixes and length as ours.
    const upstreamFile = 'file-AbCdEfGhIjKlMnOpQrStUvWx';
    const upstreamBatch = 'batch_0123456789abcdef0123456789abcdef';
    const text = `Input file ${upstreamFile} of batch ${upstreamBatch} no longer exists.`;
    expect(scrubUpstreamText(text, [[upstreamBatch, batchId], [upstreamFile, fileId]])).toBe(
      `Input file ${fileId} of batch ${batchId} no longer exists.`,
    );
  });

  it('a gateway id inside a URL or next to punctuation survives, the rest of the URL does not', () => {
    const fileId = newFileId();
    expect(scrubUpstreamText("No such File object: 'file-up123456' (see https://api.example/v1/files/file-up123456).", [['file-up123456', fileId]])).toBe(
      `No such File object: '${fileId}' (see ${R}${fileId}).`,
    );
  });

  it('an id that contains another is replaced whole', () => {
    expect(scrubUpstreamText('gone: file-abc1234567 and file-abc1234567-v2', [['file-abc1234567', 'file-short'], ['file-abc1234567-v2', 'file-long']])).toBe(
      'gone: file-short and file-long',
    );
  });

  it('the gateway id itself, echoed by the upstream, survives', () => {
    const batchId = newBatchId();
    expect(scrubUpstreamText(`label ${batchId} is taken`, [['batch_up0123456789', batchId]])).toBe(`label ${batchId} is taken`);
  });

  it('an unknown gateway-shaped id is an upstream id like any other', () => {
    expect(scrubUpstreamText(`no access to ${newFileId()}`)).toBe(`no access to ${R}`);
  });

  it('replaceUpstreamIds still replaces ids and nothing else', () => {
    expect(replaceUpstreamIds('file-x1 at https://a.b/c', [['file-x1', 'file-y']])).toBe('file-y at https://a.b/c');
  });
});

describe('each kind of raw upstream string becomes the placeholder', () => {
  const cases: ReadonlyArray<readonly [what: string, raw: string]> = [
    ['OpenAI file id', 'file-6F2ksmvXxt4VdoqmHRw6kL'],
    ['OpenAI file id, docs style', 'file-abc123'],
    ['Azure file id', 'file-0a1b2c3d4e5f60718293a4b5c6d7e8f9'],
    ['OpenAI batch id', 'batch_67d0c2a6b3e88190b0d9e5cbeeb7f3e1'],
    ['Azure batch id', 'batch_5f3b2f28-3c2e-4b55-a3c2-1a0f5e4d3c2b'],
    ['Anthropic batch id', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'],
    ['OpenAI project id', 'proj_Ab12Cd34Ef56Gh78Ij90Kl12'],
    ['OpenAI organisation id', 'org-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['Vertex job', 'projects/my-project/locations/us-central1/batchPredictionJobs/1234567890123456789'],
    ['Vertex job, relative', 'batchPredictionJobs/1234567890123456789'],
    ['Bedrock job ARN', 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc123def456'],
    ['S3 ARN', 'arn:aws:s3:::my-bucket/batch/input.jsonl'],
    ['GCS URI', 'gs://my-bucket/batches/input.jsonl'],
    ['S3 URI', 's3://my-bucket/batches/input.jsonl'],
    ['Azure blob URL', 'https://acct.blob.core.windows.net/files/input.jsonl?sv=2024&sig=abc'],
    ['Azure blob host', 'acct.blob.core.windows.net/files/input.jsonl'],
    ['Azure OpenAI endpoint', 'my-resource.openai.azure.com'],
    ['http URL', 'http://10.0.0.7:8000/v1/files'],
    ['https URL', 'https://internal.example.com/admin'],
    ['OpenAI key', 'sk-proj-AbCdEf0123456789AbCdEf0123456789'],
    ['Anthropic key', 'sk-ant-api03-AbCdEf0123456789'],
    ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['Google API key', 'AIzaSyA1234567890abcdefghijklmnopqrstu'],
    ['hex secret', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['base64 secret', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['key in an assignment', 'api_key=sk-AbCdEf0123456789'],
    ['UUID', '5f3b2f28-3c2e-4b55-a3c2-1a0f5e4d3c2b'],
  ];
  it.each(cases)('%s', (_what, raw) => {
    expect(scrubUpstreamText(`before ${raw} after`)).toBe(`before ${R} after`);
    // Punctuation around it is kept.
    expect(scrubUpstreamText(`'${raw}'.`)).toBe(`'${R}'.`);
    expect(scrubUpstreamText(`(${raw}),`)).toBe(`(${R}),`);
  });

  it('the token after Bearer, whatever it looks like', () => {
    expect(scrubUpstreamText('Authorization: Bearer abcdefgh12 was rejected')).toBe(`Authorization: Bearer ${R} was rejected`);
    // The deployment's own key, already redacted at the adapter, keeps its placeholder.
    expect(scrubUpstreamText('proxy rejected Authorization: Bearer [REDACTED]')).toBe('proxy rejected Authorization: Bearer [REDACTED]');
  });
});

describe('ordinary upstream text is left alone', () => {
  it.each([
    'Enqueued token limit reached for gpt-4o-mini-2024-07-18.',
    'Cannot find file, or project proj_abc does not have access to it.',
    'invalid_request_error',
    'token_limit_exceeded',
    'input_file_id',
    'batch_size must be at most 50000',
    'batch_completion_window',
    'invalidPayload',
    'Validation of the JSONL file failed. Line 3 is not valid JSON.',
    'The file-level limit is 200 MB; file-not-found.',
    'Deployment gpt-4o-mini-batch-deployment-westeurope-2024-07-18 is busy',
    'internationalization_configuration_settings_are_long',
    'Bearer token missing',
    'Rate limit reached for requests. Please try again later.',
    'ünïcödé text — with dashes… and 😀 emoji',
  ])('%s', (text) => {
    expect(scrubUpstreamText(text)).toBe(text);
  });

  it("the providers' public documentation links, but nothing dressed up as one", () => {
    const text = 'Incorrect API key provided: sk-ab***cd. You can find your API key at https://platform.openai.com/account/api-keys.';
    expect(scrubUpstreamText(text)).toBe(text);
    expect(scrubUpstreamText('see https://learn.microsoft.com/azure/ai-services/openai/how-to/batch')).toBe(
      'see https://learn.microsoft.com/azure/ai-services/openai/how-to/batch',
    );
    for (const url of [
      'https://platform.openai.com.evil.example/x',
      'https://platform.openai.com@evil.example/x',
      'https://platform.openai.com/x?key=abc',
      'http://platform.openai.com/account',
      'https://platform.openai.com/files/file-abc123',
      'https://platform.openai.com/settings/org-AbCdEfGhIjKlMnOpQrStUvWx',
    ]) {
      expect(scrubUpstreamText(`see ${url} now`)).toBe(`see ${R} now`);
    }
  });

  it('an empty string and null', () => {
    expect(scrubUpstreamText('')).toBe('');
    expect(scrubUpstreamField(null)).toBeNull();
  });

  it('private-use characters in the input cannot forge a kept id', () => {
    const out = scrubUpstreamText('\uE000 and file-abc123', [['file-up9999999', 'file-gateway']]);
    expect(out).not.toContain('file-gateway');
    expect(out).toBe(`\uFFFD and ${R}`);
  });

  it('is idempotent', () => {
    const fileId = newFileId();
    const once = scrubUpstreamText('file-up123456 at gs://b/k with sk-AbCdEf0123456789 and Bearer xyzxyzxyz', [['file-up123456', fileId]]);
    expect(scrubUpstreamText(once, [['file-up123456', fileId]])).toBe(once);
  });
});

describe('adversarial input', () => {
  const timed = (text: string): { out: string; ms: number } => {
    const start = performance.now();
    const out = scrubUpstreamText(text, [['file-up123456', newFileId()]]);
    return { out, ms: performance.now() - start };
  };

  it('long input is cut to the limit and ends in an ellipsis', () => {
    const { out } = timed('word '.repeat(100_000));
    expect(out.length).toBe(MAX_UPSTREAM_TEXT_CHARS + 1);
    expect(out.endsWith('…')).toBe(true);
    expect(scrubUpstreamText('x'.repeat(MAX_UPSTREAM_TEXT_CHARS))).toBe('x'.repeat(MAX_UPSTREAM_TEXT_CHARS));
  });

  it('a secret straddling the limit is still redacted, not cut into a visible prefix', () => {
    const text = `${'a '.repeat((MAX_UPSTREAM_TEXT_CHARS - 10) / 2)}sk-AbCdEf0123456789AbCdEf0123456789`;
    const out = scrubUpstreamText(text);
    expect(out).not.toContain('sk-');
    expect(out.length).toBeLessThanOrEqual(MAX_UPSTREAM_TEXT_CHARS + 1);
  });

  it.each([
    ['one huge token', 'a'.repeat(1_000_000)],
    ['repeated prefixes', 'file-'.repeat(200_000)],
    ['repeated batch prefixes', 'batch_'.repeat(200_000)],
    ['repeated Vertex prefixes', 'projects/'.repeat(200_000)],
    ['runs of 31 base64 characters', `${'Ab1+'.repeat(7)}Ab1 `.repeat(40_000)],
    ['almost-UUIDs', '5f3b2f28-3c2e-4b55-a3c2-1a0f5e4d3c2'.repeat(30_000)],
    ['almost-keys', 'sk-abc '.repeat(150_000)],
    ['Bearer after Bearer', 'Bearer '.repeat(150_000)],
    ['URL-like noise', ':/'.repeat(500_000)],
    ['the id everywhere', 'file-up123456'.repeat(80_000)],
  ])('%s: fast and bounded', (_what, text) => {
    const { out, ms } = timed(text);
    expect(out.length).toBeLessThanOrEqual(MAX_UPSTREAM_TEXT_CHARS + 1);
    expect(ms).toBeLessThan(200);
  });
});

describe('UpstreamError', () => {
  const raw = {
    deploymentId: 'openai-primary',
    failure: 'http' as const,
    status: 400,
    message: 'Cannot read gs://bucket/in.jsonl for file-up123456 with key sk-AbCdEf0123456789',
    type: 'invalid_request_error: https://docs.internal.example/errors',
    code: 'file-up123456_missing arn:aws:s3:::bucket',
    param: 's3://bucket/in.jsonl',
  };

  it('keeps what the upstream sent until a client sees it', () => {
    const err = new UpstreamError(raw);
    expect(err.upstreamMessage).toBe(raw.message);
    expect(err.upstreamParam).toBe(raw.param);
  });

  it('toGatewayError scrubs message, type, param and code', () => {
    const gw = new UpstreamError(raw).toGatewayError();
    expect(gw.message).toBe(`Cannot read ${R} for ${R} with key ${R}`);
    expect(gw.type).toBe(`invalid_request_error: ${R}`);
    expect(gw.wireCode).toBe(`${R} ${R}`);
    expect(gw.param).toBe(R);
    expect(gw.status).toBe(400);
  });

  it('withGatewayIds substitutes in every field, and an outer call still finds its ids', () => {
    const fileId = newFileId();
    const batchId = newBatchId();
    const err = new UpstreamError({ ...raw, message: 'batch batch_up0123456789 reads file-up123456', code: 'missing:file-up123456' });
    const inner = err.withGatewayIds([['file-up123456', fileId]]);
    expect(inner.upstreamMessage).toBe(`batch ${R} reads ${fileId}`);
    expect(inner.upstreamCode).toBe(`missing:${fileId}`);
    const outer = inner.withGatewayIds([['batch_up0123456789', batchId]]);
    expect(outer.upstreamMessage).toBe(`batch ${batchId} reads ${fileId}`);
    expect(outer.message).toBe(`deployment openai-primary: batch ${batchId} reads ${fileId}`);
    const gw = outer.toGatewayError();
    expect(gw.message).toBe(`batch ${batchId} reads ${fileId}`);
    expect(gw.wireCode).toBe(`missing:${fileId}`);
    expect(gw.param).toBe(R);
  });

  it('5xx and 401 messages and codes are scrubbed too', () => {
    const five = new UpstreamError({ ...raw, status: 503 }).toGatewayError();
    expect(five.message).toBe(`Deployment 'openai-primary' failed with status 503: Cannot read ${R} for ${R} with key ${R}`);
    expect(five.wireCode).toBe(`${R} ${R}`);
    const auth = new UpstreamError({ ...raw, status: 401 }).toGatewayError();
    expect(auth.message).toContain(`(401): Cannot read ${R}`);
  });
});
