/** Bedrock adapter settings: config errors, env fallbacks, credentials (params, env, chain), host overrides. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { createBedrockAdapter } from '../../../src/providers/bedrock/adapter.js';
import type { AwsCall, AwsTransport } from '../../../src/providers/bedrock/aws-http.js';
import { readBedrockConfig } from '../../../src/providers/bedrock/params.js';
import { createS3Client } from '../../../src/providers/bedrock/s3.js';
import { ProviderConfigError } from '../../../src/providers/shared/config-error.js';
import { FakeBedrock, startBedrockFakes, type BedrockFakes } from '../../fakes/fake-bedrock.js';
import { FakeS3 } from '../../fakes/fake-s3.js';
import { bedrockDeployment, opts, rejectionOf, uploadAndCreate } from './support.js';

const problemsOf = (params: Record<string, unknown>, env: Record<string, string> = {}): string[] => {
  try {
    createBedrockAdapter(bedrockDeployment(params), { timeoutMs: 1000, env });
  } catch (err) {
    if (err instanceof ProviderConfigError) return [...err.problems];
    throw err;
  }
  return [];
};

describe('ProviderConfigError at factory time', () => {
  it('names every place a missing region, bucket and role may come from, one problem each', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/aws_region_name.*AWS_REGION.*AWS_DEFAULT_REGION/);
    expect(problems[1]).toMatch(/s3_bucket_name.*AWS_S3_BUCKET_NAME/);
    expect(problems[2]).toMatch(/aws_batch_role_arn.*AWS_BATCH_ROLE_ARN.*trusted by bedrock\.amazonaws\.com/);
  });

  it('takes region, bucket and role from the environment it is given', () => {
    const env = { AWS_DEFAULT_REGION: 'eu-west-3', AWS_S3_BUCKET_NAME: 'env-bucket/in', AWS_BATCH_ROLE_ARN: 'arn:aws:iam::123456789012:role/R', AWS_S3_OUTPUT_BUCKET_NAME: 'out-bucket' };
    expect(problemsOf({}, env)).toEqual([]);
    const config = readBedrockConfig(bedrockDeployment({}), env);
    expect(config).toMatchObject({
      region: 'eu-west-3',
      controlBase: 'https://bedrock.eu-west-3.amazonaws.com',
      input: { bucket: 'env-bucket', prefix: 'in/' },
      output: { bucket: 'out-bucket', prefix: 'in/' },
      s3PathStyle: false,
      family: 'anthropic',
    });
  });

  it('reports malformed values', () => {
    const problems = problemsOf({ aws_region_name: 'Mars', s3_bucket_name: 'Bad_Bucket', aws_batch_role_arn: 'BedrockRole', aws_access_key_id: 'AKIAONLY' });
    expect(problems.join('\n')).toMatch(/not an AWS region name/);
    expect(problems.join('\n')).toMatch(/not a valid S3 bucket name/);
    expect(problems.join('\n')).toMatch(/not an IAM role ARN/);
    expect(problems.join('\n')).toMatch(/aws_access_key_id and aws_secret_access_key must be set together/);
  });

  it('declares Bedrock’s quotas as limits, overridable through model_info', () => {
    const params = { aws_region_name: 'us-east-1', s3_bucket_name: 'b-bucket', aws_batch_role_arn: 'arn:aws:iam::123456789012:role/R' };
    const adapter = createBedrockAdapter(bedrockDeployment(params), { timeoutMs: 1000, env: {} });
    expect(adapter.capabilities).toMatchObject({ lineFormat: 'native', fileStaging: 'bucket', batchExecution: 'native', limits: { minLines: 100, maxLines: 50_000, maxBytes: 1_000_000_000 } });
    const custom = createBedrockAdapter(bedrockDeployment(params, undefined, { bedrock_min_records_per_job: 1000 }), { timeoutMs: 1000, env: {} });
    expect(custom.capabilities.limits.minLines).toBe(1000);
  });
});

describe('credentials', () => {
  let fakes: BedrockFakes;
  let dir: string;
  beforeAll(async () => {
    fakes = await startBedrockFakes();
    dir = mkdtempSync(join(tmpdir(), 'bedrock-creds-'));
  });
  afterAll(async () => {
    await fakes.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const withoutKeys = (): Record<string, string> => {
    const { aws_access_key_id: _a, aws_secret_access_key: _s, ...rest } = fakes.params;
    return rest;
  };

  it('come from the environment the adapter is given', async () => {
    const env = { AWS_ACCESS_KEY_ID: fakes.params['aws_access_key_id']!, AWS_SECRET_ACCESS_KEY: fakes.params['aws_secret_access_key']! };
    await createBedrockAdapter(bedrockDeployment(withoutKeys()), { timeoutMs: 5000, env }).probe(opts());
  });

  it('come from a named profile of the shared credentials file through the AWS chain, resolved at the first call', async () => {
    const file = join(dir, 'credentials');
    const env = { AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: join(dir, 'config') };
    // The factory resolves nothing: the file does not even exist yet.
    const adapter = createBedrockAdapter(bedrockDeployment({ ...withoutKeys(), aws_profile_name: 'batch' }), { timeoutMs: 5000, env });
    writeFileSync(file, `[batch]\naws_access_key_id = ${fakes.params['aws_access_key_id']}\naws_secret_access_key = ${fakes.params['aws_secret_access_key']}\n`);
    writeFileSync(join(dir, 'config'), '');
    await adapter.probe(opts());
    await uploadAndCreate(adapter, 100);
  });

  it('a named profile that does not exist is a 401 naming the fix', async () => {
    const env = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_CONFIG_FILE: join(dir, 'none-config') };
    const adapter = createBedrockAdapter(bedrockDeployment({ ...withoutKeys(), aws_profile_name: 'missing' }), { timeoutMs: 5000, env });
    const err = (await rejectionOf(adapter.probe(opts()))) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/aws_access_key_id|aws_profile_name/);
  });

  it('come from process.env through the SDK’s own chain when the given env has none', async () => {
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'], profile: process.env['AWS_PROFILE'] };
    process.env['AWS_ACCESS_KEY_ID'] = fakes.params['aws_access_key_id'];
    process.env['AWS_SECRET_ACCESS_KEY'] = fakes.params['aws_secret_access_key'];
    delete process.env['AWS_PROFILE'];
    try {
      await createBedrockAdapter(bedrockDeployment(withoutKeys()), { timeoutMs: 5000, env: {} }).probe(opts());
    } finally {
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret], ['AWS_PROFILE', saved.profile]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('send the session token on both services when there is one', async () => {
    const withToken = await startBedrockFakes({ sessionToken: 'session-token-0123456789' });
    try {
      const adapter = createBedrockAdapter(bedrockDeployment(withToken.params), { timeoutMs: 5000, env: {} });
      await uploadAndCreate(adapter, 100);
      const { aws_session_token: _t, ...noToken } = withToken.params;
      const err = (await rejectionOf(createBedrockAdapter(bedrockDeployment(noToken), { timeoutMs: 5000, env: {} }).probe(opts()))) as UpstreamError;
      expect(err.status).toBe(403);
    } finally {
      await withToken.close();
    }
  });
});

describe('host and S3 overrides', () => {
  it('signs S3 with s3_region_name and S3-only keys, Bedrock with its own', async () => {
    const s3 = await new FakeS3({ bucket: 'eu-bucket', region: 'eu-west-1', accessKeyId: 'AKIAS3ONLYKEY000001', secretAccessKey: 's3-secret-0123456789' }).start();
    const bedrock = await new FakeBedrock({ region: 'us-west-2', s3 }).start();
    try {
      const params = {
        aws_region_name: 'us-west-2',
        aws_access_key_id: bedrock.accessKeyId,
        aws_secret_access_key: bedrock.secretAccessKey,
        s3_access_key_id: 'AKIAS3ONLYKEY000001',
        s3_secret_access_key: 's3-secret-0123456789',
        s3_region_name: 'eu-west-1',
        s3_bucket_name: 'eu-bucket',
        aws_batch_role_arn: 'arn:aws:iam::123456789012:role/R',
        api_base: bedrock.endpoint,
        s3_endpoint_url: s3.endpoint,
      };
      const adapter = createBedrockAdapter(bedrockDeployment(params), { timeoutMs: 5000, env: {} });
      const { batchRef } = await uploadAndCreate(adapter, 100);
      expect(batchRef).toContain(':us-west-2:');
      expect(s3.stats().signatureFailures + bedrock.stats().signatureFailures).toBe(0);
      const { s3_region_name: _r, ...wrongRegion } = params;
      const err = (await rejectionOf(createBedrockAdapter(bedrockDeployment(wrongRegion), { timeoutMs: 5000, env: {} }).retrieveFile('s3://eu-bucket/batchgate/file-abc123/requests.jsonl', opts()))) as UpstreamError;
      expect(err.status).toBe(400);
      expect(err.upstreamCode).toBe('AuthorizationHeaderMalformed');
    } finally {
      await Promise.all([bedrock.close(), s3.close()]);
    }
  });

  it('addresses AWS S3 virtual-hosted by default, path-style for endpoints or when asked', async () => {
    const calls: AwsCall[] = [];
    const transport: AwsTransport = {
      send: (call) => {
        calls.push(call);
        return Promise.resolve({ status: 200, headers: { etag: '"e"' }, body: null });
      },
      stream: () => Promise.reject(new Error('unused')),
    };
    const base = { aws_region_name: 'us-east-1', s3_bucket_name: 'my-bucket', aws_batch_role_arn: 'arn:aws:iam::123456789012:role/R' };
    const malformed = (what: string) => new UpstreamError({ deploymentId: 'd', failure: 'http', status: 502, message: what });
    const put = async (params: Record<string, unknown>): Promise<AwsCall> => {
      await createS3Client(transport, readBedrockConfig(bedrockDeployment(params), {}), malformed).putObject({ bucket: 'my-bucket', key: 'a b/c.jsonl' }, Buffer.from('x'), opts().signal);
      return calls.at(-1)!;
    };
    expect(await put(base)).toMatchObject({ origin: 'https://my-bucket.s3.us-east-1.amazonaws.com', path: '/a%20b/c.jsonl' });
    expect(await put({ ...base, s3_region_name: 'eu-west-1', s3_use_path_style: true })).toMatchObject({ origin: 'https://s3.eu-west-1.amazonaws.com', path: '/my-bucket/a%20b/c.jsonl' });
    expect(await put({ ...base, s3_endpoint_url: 'http://minio.local:9000/' })).toMatchObject({ origin: 'http://minio.local:9000', path: '/my-bucket/a%20b/c.jsonl' });
    expect(await put({ ...base, s3_endpoint_url: 'https://vpce.example.com', s3_use_path_style: 'false' })).toMatchObject({ origin: 'https://my-bucket.vpce.example.com', path: '/a%20b/c.jsonl' });
  });
});
