/**
 * `general_settings`, `litellm_settings` and `router_settings`, with their environment fallbacks.
 * Only the keys batchgate uses are read (and only their `os.environ/` references resolved): a
 * config written for LiteLLM references variables for alerting, caches and callbacks that a
 * batchgate host has no reason to set, and those must not stop it from starting.
 */
import type { GatewayConfig } from './types.js';
import { Diagnostics, isMapping, keyPath, type Mapping } from './diagnostics.js';
import { envValue, resolveEnvRefs, type Env } from './env.js';
import {
  boolean,
  nonEmptyString,
  nonNegativeInteger,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  postgresUrl,
  readField,
  type Field,
} from './fields.js';
import { readExecutorSettings } from './executor-settings.js';
import { CALLBACK_KEYS, callbackNames, PROMETHEUS_CALLBACK } from './ignored-keys.js';
import { GENERAL_SETTINGS, LITELLM_SETTINGS, ROUTER_SETTINGS, type KeyLevel } from './keys.js';
import { checkKeys } from './typos.js';
import { rawSetting, readWebhookSettings } from './webhooks.js';
import { z } from 'zod';

export type Settings = Pick<
  GatewayConfig,
  | 'masterKey'
  | 'databaseUrl'
  | 'databaseSchema'
  | 'limits'
  | 'loadBalancingOnBatchEndpoints'
  | 'routing'
  | 'upstreamTimeoutMs'
  | 'recovery'
  | 'lifecycle'
  | 'modelGroupAliases'
  | 'webhooks'
  | 'metrics'
  | 'executor'
>;

const MB = 1024 * 1024;
export const DEFAULTS = {
  /** PostgreSQL schema of batchgate's tables, so it can share a database. */
  databaseSchema: 'batchgate',
  maxUploadMb: 200,
  maxBatchLines: 50_000,
  allowedFails: 3,
  cooldownSeconds: 60,
  upstreamTimeoutSeconds: 600,
  uploadIdleTimeoutSeconds: 30,
  batchFreshnessSeconds: 2,
  batchPollMinSeconds: 5,
  batchPollMaxSeconds: 300,
  workerConcurrency: 8,
  workerLeaseSeconds: 120,
} as const;

/** LiteLLM refuses a master key without this prefix; we accept it but say so. */
const MASTER_KEY_PREFIX = 'sk-';

class Section {
  private constructor(
    private readonly name: string,
    private readonly values: Mapping,
    private readonly env: Env,
    private readonly diag: Diagnostics,
  ) {}

  /** A missing or empty (`general_settings:` with nothing under it) section reads as {}. */
  static of(root: Mapping, name: string, level: KeyLevel, env: Env, diag: Diagnostics): Section {
    const value = root[name];
    if (value === undefined || value === null) return new Section(name, {}, env, diag);
    if (!isMapping(value)) {
      diag.problem(`${name} must be a mapping`);
      return new Section(name, {}, env, diag);
    }
    checkKeys(value, name, level, diag);
    return new Section(name, value, env, diag);
  }

  read<T>(key: string, field: Field<T>): T | undefined {
    const path = keyPath(this.name, key);
    return readField(resolveEnvRefs(this.values[key], path, this.env, this.diag), path, field, this.diag);
  }
}

/** LiteLLM writes an alias as `alias: group` or `alias: {model: group, hidden: true}`. */
const modelGroupAlias: Field<Record<string, string>> = {
  schema: z
    .record(z.string().min(1), z.union([z.string().min(1), z.looseObject({ model: z.string().min(1) })]))
    .transform((aliases) =>
      Object.fromEntries(Object.entries(aliases).map(([alias, to]) => [alias, typeof to === 'string' ? to : to.model])),
    ),
  expected: 'a mapping of alias to model group name (or to {model: <group>})',
};

/** An environment variable checked like a config value; its message names the variable, not the value. */
function fromEnv<T>(env: Env, name: string, field: Field<T>, diag: Diagnostics): T | undefined {
  return readField(envValue(env, name), `environment variable ${name}`, field, diag);
}

function readMasterKey(general: Section, env: Env, diag: Diagnostics): string | null {
  const candidates: readonly (readonly [string, () => string | undefined])[] = [
    ['general_settings.master_key', () => general.read('master_key', nonEmptyString)],
    ['BATCHGATE_MASTER_KEY', () => envValue(env, 'BATCHGATE_MASTER_KEY')],
    ['LITELLM_MASTER_KEY', () => envValue(env, 'LITELLM_MASTER_KEY')],
  ];
  for (const [source, read] of candidates) {
    const key = read();
    if (key === undefined) continue;
    if (!key.startsWith(MASTER_KEY_PREFIX)) {
      diag.warn(
        `master key (${source}) does not start with '${MASTER_KEY_PREFIX}': ` +
          `LiteLLM requires that prefix; batchgate accepts the key as it is`,
      );
    }
    return key;
  }
  return null;
}

/** A LiteLLM callback list, read leniently: its entries batchgate ignores are warned about, not refused. */
const callbackList: Field<string[]> = { schema: z.unknown().transform(callbackNames), expected: 'a list of callback names' };

/** `GET /metrics`: batchgate's own keys win over what a LiteLLM config says. */
function readMetrics(general: Section, litellm: Section): Settings['metrics'] {
  const prometheus = CALLBACK_KEYS.some((key) => (litellm.read(key, callbackList) ?? []).includes(PROMETHEUS_CALLBACK));
  const requireAuth = litellm.read('require_auth_for_metrics_endpoint', boolean);
  return {
    enabled: general.read('metrics', boolean) ?? prometheus,
    public: general.read('metrics_public', boolean) ?? (requireAuth === undefined ? false : !requireAuth),
  };
}

/** A PostgreSQL schema name batchgate creates itself: plain lower-case identifiers only. */
const schemaName: Field<string> = {
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
  expected: 'a schema name of lower-case letters, digits and underscores (e.g. batchgate)',
};

/** Whether a PostgreSQL URL already chooses where tables go (`options=-c search_path=…`). */
function setsSearchPath(url: string): boolean {
  try {
    return /search_path/.test(new URL(url).searchParams.get('options') ?? '');
  } catch {
    return false;
  }
}

export function readSettings(root: Mapping, env: Env, diag: Diagnostics): Settings {
  const general = Section.of(root, 'general_settings', GENERAL_SETTINGS, env, diag);
  const litellm = Section.of(root, 'litellm_settings', LITELLM_SETTINGS, env, diag);
  const router = Section.of(root, 'router_settings', ROUTER_SETTINGS, env, diag);

  const masterKey = readMasterKey(general, env, diag);
  const databaseUrl =
    general.read('database_url', postgresUrl) ?? fromEnv(env, 'DATABASE_URL', postgresUrl, diag) ?? null;
  const databaseSchema =
    general.read('database_schema', schemaName) ??
    fromEnv(env, 'BATCHGATE_DATABASE_SCHEMA', schemaName, diag) ??
    (databaseUrl !== null && setsSearchPath(databaseUrl) ? null : DEFAULTS.databaseSchema);
  const maxUploadMb = general.read('max_batch_file_size_mb', positiveNumber) ?? DEFAULTS.maxUploadMb;
  const maxBatchLines = general.read('max_batch_file_records', positiveInteger) ?? DEFAULTS.maxBatchLines;

  const loadBalancing = litellm.read('enable_loadbalancing_on_batch_endpoints', boolean) ?? false;
  // LiteLLM's router falls back to `litellm.request_timeout` when `router_settings.timeout` is unset.
  const timeoutSeconds =
    router.read('timeout', positiveNumber) ??
    litellm.read('request_timeout', positiveNumber) ??
    DEFAULTS.upstreamTimeoutSeconds;

  return {
    masterKey,
    databaseUrl,
    databaseSchema,
    limits: { maxUploadBytes: Math.floor(maxUploadMb * MB), maxBatchLines },
    loadBalancingOnBatchEndpoints: loadBalancing,
    routing: {
      allowedFails: router.read('allowed_fails', nonNegativeInteger) ?? DEFAULTS.allowedFails,
      cooldownSeconds: router.read('cooldown_time', nonNegativeNumber) ?? DEFAULTS.cooldownSeconds,
    },
    upstreamTimeoutMs: Math.round(timeoutSeconds * 1000),
    lifecycle: {
      runWorker: true,
      freshnessMs: Math.round(
        (general.read('batch_freshness_seconds', nonNegativeNumber) ??
          fromEnv(env, 'BATCHGATE_BATCH_FRESHNESS_SECONDS', nonNegativeNumber, diag) ??
          DEFAULTS.batchFreshnessSeconds) * 1000,
      ),
      minPollMs: Math.round((general.read('batch_poll_min_interval_seconds', positiveNumber) ?? DEFAULTS.batchPollMinSeconds) * 1000),
      maxPollMs: Math.round((general.read('proxy_batch_polling_interval', positiveNumber) ?? DEFAULTS.batchPollMaxSeconds) * 1000),
      workerConcurrency: general.read('worker_concurrency', positiveInteger) ?? DEFAULTS.workerConcurrency,
      leaseMs: Math.round((general.read('worker_lease_seconds', positiveNumber) ?? DEFAULTS.workerLeaseSeconds) * 1000),
    },
    recovery: {
      uploadIdleTimeoutMs: Math.round(
        (general.read('upload_idle_timeout_seconds', positiveNumber) ?? DEFAULTS.uploadIdleTimeoutSeconds) * 1000,
      ),
      // A request's deadline is twice the upstream timeout (http/app.ts); past it, nothing live
      // can still be writing the record.
      pendingGraceMs: Math.round((general.read('pending_grace_seconds', positiveNumber) ?? 2 * timeoutSeconds + 60) * 1000),
    },
    modelGroupAliases: router.read('model_group_alias', modelGroupAlias) ?? {},
    webhooks: readWebhookSettings(general.read('webhooks', rawSetting), general.read('webhook_settings', rawSetting), diag),
    metrics: readMetrics(general, litellm),
    executor: readExecutorSettings(general, router, litellm),
  };
}
