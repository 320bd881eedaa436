/**
 * The AWS Bedrock batch inference adapter (`provider: bedrock`, model `bedrock/<model id>`, e.g.
 * `bedrock/anthropic.claude-3-5-haiku-20241022-v1:0` or `bedrock/us.amazon.nova-lite-v1:0`).
 * Inputs are staged in S3 as Bedrock records (`recordId` = the line number), a batch is a model
 * invocation job, and results are read back from the job's S3 output and converted to OpenAI
 * lines (`reference/wire.md` §5, §7). Params (`litellm_params`, LiteLLM's names):
 *
 * - `aws_region_name` (else `AWS_REGION` / `AWS_DEFAULT_REGION`) — required;
 * - `s3_bucket_name` (else `AWS_S3_BUCKET_NAME`; `bucket` or `bucket/prefix`) — required;
 * - `aws_batch_role_arn` (else `AWS_BATCH_ROLE_ARN`) — required: the role Bedrock assumes to read
 *   the input and write the output;
 * - `s3_output_bucket_name` (else `AWS_S3_OUTPUT_BUCKET_NAME`, else the input bucket),
 *   `s3_encryption_key_id` (else `AWS_S3_ENCRYPTION_KEY_ID`), `s3_region_name`,
 *   `s3_endpoint_url`, `s3_use_path_style` (default: true when `s3_endpoint_url` is set);
 * - `api_base`: the control-plane endpoint (default `https://bedrock.{region}.amazonaws.com`);
 * - credentials: `aws_access_key_id` / `aws_secret_access_key` / `aws_session_token`, else the
 *   standard AWS chain with `aws_profile_name`; `s3_access_key_id` / `s3_secret_access_key` for S3 only.
 *
 * `model_info` may state the account's quotas: `bedrock_min_records_per_job` (default 100),
 * `bedrock_max_records_per_job` (50,000), `bedrock_max_input_file_bytes` (1 GB).
 */
import type { Deployment } from '../../domain/deployment.js';
import { systemClock } from '../../domain/ports/clock.js';
import type { ProviderAdapter, ProviderCapabilities } from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AdapterDeps } from '../shared/deps.js';
import { createHttpClient } from '../shared/http-client.js';
import { redactSecrets } from '../shared/redact.js';
import type { ErrorScope } from './aws-errors.js';
import { createAwsTransport } from './aws-http.js';
import { bedrockCredentials } from './credentials.js';
import * as files from './files.js';
import * as jobs from './jobs.js';
import { readBedrockConfig } from './params.js';
import { encodeRecord } from './records.js';
import { redactAwsText } from './redact.js';
import { openResults } from './results.js';
import { createS3Client } from './s3.js';
import { createSigner } from './signer.js';

export const createBedrockAdapter = (deployment: Deployment, deps: AdapterDeps): ProviderAdapter => {
  const env = deps.env ?? process.env;
  const config = readBedrockConfig(deployment, env);
  const clock = deps.clock ?? systemClock;
  const credentials = bedrockCredentials(deployment, env);
  const http = createHttpClient({
    deploymentId: deployment.id,
    timeoutMs: deps.timeoutMs,
    secrets: credentials.secrets,
    dispatcher: deps.dispatcher,
    observer: deps.observer,
  });
  const names = [...new Set([config.input.bucket, config.output.bucket])];
  const sanitize = (text: string): string => redactAwsText(redactSecrets(text, credentials.secrets), names);
  const scope: ErrorScope = { deploymentId: deployment.id, scrub: sanitize };
  const malformed = (what: string) => http.malformed(sanitize(what));

  const control = createAwsTransport(http, createSigner('bedrock', config.region, credentials.bedrock, clock), scope);
  const storage = createAwsTransport(http, createSigner('s3', config.s3Region, credentials.s3, clock), scope);
  const s3 = createS3Client(storage, config, malformed);
  const now = (): number => clock.now();
  const filesCtx: files.FilesContext = { deploymentId: deployment.id, config, s3, timeoutMs: deps.timeoutMs, now };
  const jobsCtx: jobs.JobsContext = { deploymentId: deployment.id, config, transport: control, malformed, sanitize, now };

  const capabilities: ProviderCapabilities = {
    fileStaging: 'bucket',
    lineFormat: 'native',
    limits: config.limits,
    batchExecution: 'native',
    retrieveFile: true,
    deleteFile: true,
    listFiles: true,
    cancelBatch: true,
  };

  return {
    deployment,
    capabilities,
    encodeInputLine: (line, lineNo) => encodeRecord(line, lineNo, config.family),
    uploadFile: (input, opts) => files.uploadFile(filesCtx, input, opts),
    retrieveFile: (ref, opts) => files.retrieveFile(filesCtx, ref, opts),
    openFileContent: (ref, opts) => files.openFileContent(filesCtx, ref, opts),
    deleteFile: (ref, opts) => files.deleteFile(filesCtx, ref, opts),
    probe: (opts) => jobs.probeJobs(jobsCtx, opts),
    createBatch: (input, opts) => jobs.createJob(jobsCtx, input, opts),
    retrieveBatch: (ref, opts) => jobs.retrieveJob(jobsCtx, ref, opts),
    cancelBatch: (ref, opts) => jobs.stopJob(jobsCtx, ref, opts),
    openResults: (ref, opts) => openResults({ jobs: jobsCtx, s3, scope }, ref, opts),
    listFilesSince: (since, opts) => files.listFilesSince(filesCtx, since, opts),
    listBatchesSince: (since, opts) => jobs.listJobsSince(jobsCtx, since, opts),
    sendRequest: () =>
      Promise.reject(
        new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (bedrock) runs batches as Bedrock jobs and does not take single requests.`),
      ),
  };
};
