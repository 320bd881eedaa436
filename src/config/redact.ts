/**
 * A printable copy of the config (`batchgate config check`, start-up logs): secrets become `***`,
 * everything else stays so the operator can see what was loaded.
 */
import type { Deployment } from '../domain/deployment.js';
import type { GatewayConfig } from './types.js';

export const REDACTED = '***';

/**
 * Whether a key names a secret, matched on its letters only so `api_key`, `api-key` and
 * `x-api-key` agree. `token` means a credential (`aws_session_token`, `azure_ad_token`), not a
 * count or price (`max_tokens`, `input_cost_per_token`).
 */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (k.endsWith('key') || k === 'authorization' || k === 'cookie') return true;
  if (k.includes('secret') || k.includes('password') || k.includes('credential')) return true;
  return k.includes('token') && !k.includes('tokens') && !k.includes('cost') && !k.startsWith('max');
}

const LOOKS_LIKE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;
const URL_WITH_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*@/i;

/**
 * `postgresql://user:pw@host/db?password=pw` → `postgresql://user:***@host/db?password=***`.
 * Text with nothing to hide is returned as it was, not re-serialised.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparseable but carrying credentials: hide it whole rather than guess where they end.
    return URL_WITH_USERINFO.test(text) ? REDACTED : text;
  }
  const secretParams = [...url.searchParams.keys()].filter(isSecretKey);
  if (url.password === '' && secretParams.length === 0) return text;
  if (url.password !== '') url.password = REDACTED;
  for (const name of secretParams) url.searchParams.set(name, REDACTED);
  // URL encodes the asterisks it was given; put them back so the output reads as redacted.
  return url.toString().replaceAll('%2A%2A%2A', REDACTED);
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return LOOKS_LIKE_URL.test(value) ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        isSecretKey(key) && item !== null && item !== undefined ? REDACTED : redactValue(item),
      ]),
    );
  }
  return value;
}

function redactMapping(mapping: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return redactValue(mapping) as Record<string, unknown>;
}

function redactDeployment(deployment: Deployment): Deployment {
  return { ...deployment, params: redactMapping(deployment.params), info: redactMapping(deployment.info) };
}

/**
 * Every credential of an S3 store is hidden, the access key id included: unlike a deployment's
 * `aws_access_key_id` (kept, to tell accounts apart), nothing needs to read it back here.
 */
function redactBlobs(blobs: GatewayConfig['blobs']): GatewayConfig['blobs'] {
  if (blobs.kind === 'filesystem') return { ...blobs };
  return {
    ...blobs,
    endpoint: redactUrl(blobs.endpoint),
    accessKeyId: REDACTED,
    secretAccessKey: REDACTED,
    sessionToken: blobs.sessionToken === null ? null : REDACTED,
  };
}

export function redactConfig(config: GatewayConfig): GatewayConfig {
  return {
    ...config,
    deployments: config.deployments.map(redactDeployment),
    masterKey: config.masterKey === null ? null : REDACTED,
    databaseUrl: config.databaseUrl === null ? null : redactUrl(config.databaseUrl),
    server: { ...config.server },
    limits: { ...config.limits },
    routing: { ...config.routing },
    warnings: [...config.warnings],
    blobs: redactBlobs(config.blobs),
    webhooks: {
      ...config.webhooks,
      endpoints: config.webhooks.endpoints.map((e) => ({ ...e, url: redactUrl(e.url), secret: REDACTED })),
    },
  };
}
