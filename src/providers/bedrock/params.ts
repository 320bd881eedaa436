/**
 * A Bedrock deployment's settings, read once at factory time from `litellm_params` (LiteLLM's
 * names, `reference/litellm-behaviour.md` §3.5) and the environment, and frozen. A setting the
 * adapter cannot work without (region, bucket, batch role) is a `ProviderConfigError` naming every
 * place it may come from, so start-up stops instead of the first batch failing.
 */
import type { Deployment } from '../../domain/deployment.js';
import type { CapabilityLimits } from '../../domain/ports/provider-adapter.js';
import { ProviderConfigError } from '../shared/config-error.js';
import { stringParam, trimTrailingSlashes } from '../shared/params.js';
import { modelFamilyOf, type ModelFamily } from './model-family.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface BucketPrefix {
  readonly bucket: string;
  /** '' or a key prefix ending in '/'. */
  readonly prefix: string;
}

export interface BedrockConfig {
  readonly region: string;
  /** Control-plane origin (and base path), no trailing slash. */
  readonly controlBase: string;
  readonly modelId: string;
  readonly family: ModelFamily;
  readonly roleArn: string;
  readonly encryptionKeyId: string | null;
  readonly input: BucketPrefix;
  readonly output: BucketPrefix;
  readonly s3Region: string;
  /** `s3_endpoint_url` without trailing slash, or null for AWS's own S3 hosts. */
  readonly s3Endpoint: string | null;
  readonly s3PathStyle: boolean;
  readonly limits: CapabilityLimits;
}

/** Bedrock's default quotas (`reference/wire.md` §5.3); `model_info` may state the account's own. */
export const DEFAULT_LIMITS: CapabilityLimits = Object.freeze({ minLines: 100, maxLines: 50_000, maxBytes: 1_000_000_000 });

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

const envValue = (env: Env, ...names: string[]): string | null => {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return null;
};

/** `bucket` or `bucket/some/prefix` (LiteLLM users write both); `s3://` is tolerated. */
const splitBucket = (raw: string): BucketPrefix => {
  const bare = raw.replace(/^s3:\/\//, '').replace(/^\/+/, '');
  const slash = bare.indexOf('/');
  if (slash < 0) return { bucket: bare, prefix: '' };
  const prefix = bare.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  return { bucket: bare.slice(0, slash), prefix: prefix === '' ? '' : `${prefix}/` };
};

const booleanParam = (deployment: Deployment, key: string): boolean | null => {
  const value = deployment.params[key];
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return null;
};

const positiveInfo = (deployment: Deployment, key: string, fallback: number | null): number | null => {
  const value = deployment.info[key];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
};

/** Reads and checks every setting; every problem is reported at once. */
export const readBedrockConfig = (deployment: Deployment, env: Env): BedrockConfig => {
  const problems: string[] = [];
  const param = (key: string): string | null => stringParam(deployment, key);

  const region = param('aws_region_name') ?? envValue(env, 'AWS_REGION', 'AWS_DEFAULT_REGION');
  if (region === null) {
    problems.push('no AWS region: set litellm_params.aws_region_name, or AWS_REGION / AWS_DEFAULT_REGION in the environment (for example us-east-1)');
  } else if (!REGION.test(region)) {
    problems.push(`aws_region_name '${region}' is not an AWS region name (for example us-east-1)`);
  }
  const s3RegionParam = param('s3_region_name');
  if (s3RegionParam !== null && !REGION.test(s3RegionParam)) problems.push(`s3_region_name '${s3RegionParam}' is not an AWS region name`);

  const bucketRaw = param('s3_bucket_name') ?? envValue(env, 'AWS_S3_BUCKET_NAME');
  const input = bucketRaw === null ? null : splitBucket(bucketRaw);
  if (input === null) {
    problems.push(
      'no S3 bucket for batch input: set litellm_params.s3_bucket_name (a bucket, or bucket/prefix) or AWS_S3_BUCKET_NAME to a bucket in the Bedrock region that the batch role can read',
    );
  } else if (!BUCKET.test(input.bucket)) {
    problems.push(`s3_bucket_name '${input.bucket}' is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)`);
  }
  const outputRaw = param('s3_output_bucket_name') ?? envValue(env, 'AWS_S3_OUTPUT_BUCKET_NAME');
  const outputParsed = outputRaw === null ? null : splitBucket(outputRaw);
  if (outputParsed !== null && !BUCKET.test(outputParsed.bucket)) {
    problems.push(`s3_output_bucket_name '${outputParsed.bucket}' is not a valid S3 bucket name`);
  }

  const roleArn = param('aws_batch_role_arn') ?? envValue(env, 'AWS_BATCH_ROLE_ARN');
  if (roleArn === null) {
    problems.push(
      'no batch role: set litellm_params.aws_batch_role_arn or AWS_BATCH_ROLE_ARN to an IAM role trusted by bedrock.amazonaws.com with S3 read on the input and write on the output prefix',
    );
  } else if (!ROLE_ARN.test(roleArn)) {
    problems.push('aws_batch_role_arn is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)');
  }

  const accessKey = param('aws_access_key_id');
  const secretKey = param('aws_secret_access_key');
  if ((accessKey === null) !== (secretKey === null)) {
    problems.push('aws_access_key_id and aws_secret_access_key must be set together (or neither, to use the default AWS credential chain)');
  }
  if ((param('s3_access_key_id') === null) !== (param('s3_secret_access_key') === null)) {
    problems.push('s3_access_key_id and s3_secret_access_key must be set together (or neither, to use the Bedrock credentials for S3)');
  }

  const s3Endpoint = param('s3_endpoint_url');
  if (s3Endpoint !== null && !/^https?:\/\/[^/]+/.test(s3Endpoint)) problems.push(`s3_endpoint_url '${s3Endpoint}' is not an http(s) URL`);
  const apiBase = param('api_base');
  if (apiBase !== null && !/^https?:\/\/[^/]+/.test(apiBase)) problems.push(`api_base '${apiBase}' is not an http(s) URL`);

  if (problems.length > 0 || region === null || input === null || roleArn === null) throw new ProviderConfigError(problems);

  return Object.freeze({
    region,
    controlBase: trimTrailingSlashes(apiBase ?? `https://bedrock.${region}.amazonaws.com`),
    modelId: deployment.upstreamModel,
    family: modelFamilyOf(deployment.upstreamModel),
    roleArn,
    encryptionKeyId: param('s3_encryption_key_id') ?? envValue(env, 'AWS_S3_ENCRYPTION_KEY_ID'),
    input,
    // Without its own prefix, the output goes under the input's prefix (one place to grant).
    output: outputParsed === null ? input : outputParsed.prefix === '' ? { bucket: outputParsed.bucket, prefix: input.prefix } : outputParsed,
    s3Region: s3RegionParam ?? region,
    s3Endpoint: s3Endpoint === null ? null : trimTrailingSlashes(s3Endpoint),
    // A custom endpoint (MinIO, LocalStack, a VPC endpoint) rarely has per-bucket DNS names.
    s3PathStyle: booleanParam(deployment, 's3_use_path_style') ?? s3Endpoint !== null,
    limits: Object.freeze({
      minLines: positiveInfo(deployment, 'bedrock_min_records_per_job', DEFAULT_LIMITS.minLines),
      maxLines: positiveInfo(deployment, 'bedrock_max_records_per_job', DEFAULT_LIMITS.maxLines),
      maxBytes: positiveInfo(deployment, 'bedrock_max_input_file_bytes', DEFAULT_LIMITS.maxBytes),
    }),
  });
};
