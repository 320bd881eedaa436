/**
 * Where a Bedrock deployment's AWS credentials come from, in LiteLLM's order:
 *
 * 1. `aws_access_key_id` / `aws_secret_access_key` (+ `aws_session_token`) in the params;
 * 2. otherwise the standard AWS chain (`defaultProvider` of `@aws-sdk/credential-provider-node`:
 *    environment, SSO, shared ini files, credential_process, web identity, ECS/EC2 metadata), with
 *    `aws_profile_name` as its profile. The environment the adapter was given (`AdapterDeps.env`)
 *    is read for the static keys and the ini file locations first, because the SDK itself only
 *    reads `process.env`.
 *
 * Nothing is resolved at start-up: the chain runs at the first signed call (a deployment may
 * start before its instance role is reachable), and the SDK caches what it found until it is
 * about to expire. S3 may use its own pair (`s3_access_key_id` / `s3_secret_access_key`).
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Deployment } from '../../domain/deployment.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import { stringParam } from '../shared/params.js';
import type { Env } from './params.js';

const staticProvider =
  (identity: AwsCredentialIdentity): AwsCredentialIdentityProvider =>
  () =>
    Promise.resolve(identity);

const staticOf = (accessKeyId: string | null, secretAccessKey: string | null, sessionToken: string | null): AwsCredentialIdentity | null =>
  accessKeyId === null || secretAccessKey === null
    ? null
    : { accessKeyId, secretAccessKey, ...(sessionToken === null ? {} : { sessionToken }) };

const envOf = (env: Env, name: string): string | null => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? null : value;
};

/** The standard chain, built at its first use and kept (it memoizes what it resolves). */
const chainProvider = (profile: string | null, env: Env): AwsCredentialIdentityProvider => {
  let chain: AwsCredentialIdentityProvider | null = null;
  return async (props) => {
    if (chain === null) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      const filepath = envOf(env, 'AWS_SHARED_CREDENTIALS_FILE');
      const configFilepath = envOf(env, 'AWS_CONFIG_FILE');
      chain = defaultProvider({
        ...(profile === null ? {} : { profile }),
        ...(filepath === null ? {} : { filepath }),
        ...(configFilepath === null ? {} : { configFilepath }),
      });
    }
    return chain(props);
  };
};

/** Turns "no credentials anywhere" into an error the domain reports as the deployment's fault. */
const explained =
  (deploymentId: string, provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider =>
  async (props) => {
    try {
      return await provider(props);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new UpstreamError({
        deploymentId,
        failure: 'http',
        status: 401,
        type: 'authentication_error',
        message: `no AWS credentials could be loaded (${why}); set aws_access_key_id/aws_secret_access_key, aws_profile_name, or the standard AWS environment`,
        cause: err,
      });
    }
  };

export interface BedrockCredentials {
  readonly bedrock: AwsCredentialIdentityProvider;
  readonly s3: AwsCredentialIdentityProvider;
  /** Every secret the params hold, scrubbed from messages. */
  readonly secrets: readonly string[];
}

export const bedrockCredentials = (deployment: Deployment, env: Env): BedrockCredentials => {
  const param = (key: string): string | null => stringParam(deployment, key);
  const profile = param('aws_profile_name');
  const explicit = staticOf(param('aws_access_key_id'), param('aws_secret_access_key'), param('aws_session_token'));
  // A named profile is an explicit choice: keys in the environment must not override it.
  const fromEnv = profile === null ? staticOf(envOf(env, 'AWS_ACCESS_KEY_ID'), envOf(env, 'AWS_SECRET_ACCESS_KEY'), envOf(env, 'AWS_SESSION_TOKEN')) : null;
  const identity = explicit ?? fromEnv;
  const bedrock = explained(deployment.id, identity === null ? chainProvider(profile, env) : staticProvider(identity));
  const s3Identity = staticOf(param('s3_access_key_id'), param('s3_secret_access_key'), null);
  const secrets = [
    ...['aws_secret_access_key', 'aws_session_token', 's3_secret_access_key'].flatMap((key) => {
      const value = param(key);
      return value === null ? [] : [value];
    }),
    ...(fromEnv === null ? [] : [fromEnv.secretAccessKey, ...(fromEnv.sessionToken === undefined ? [] : [fromEnv.sessionToken])]),
  ];
  return { bedrock, s3: s3Identity === null ? bedrock : staticProvider(s3Identity), secrets };
};
