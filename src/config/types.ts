/**
 * The validated, frozen configuration every other module receives. Produced only by
 * `config/load.ts` from a LiteLLM-compatible `config.yaml`, the environment and CLI flags.
 */
import type { Deployment } from '../domain/deployment.js';
import type { WebhookSettings } from '../domain/events/webhook-endpoints.js';

export interface GatewayConfig {
  readonly deployments: readonly Deployment[];
  /** `general_settings.master_key`, `BATCHGATE_MASTER_KEY` or `LITELLM_MASTER_KEY`; null = no auth. */
  readonly masterKey: string | null;
  /** PostgreSQL URL (`general_settings.database_url` or `DATABASE_URL`); null = embedded SQLite. */
  readonly databaseUrl: string | null;
  /**
   * PostgreSQL: the schema batchgate's tables live in (created when missing), so it can share a
   * database. Null when the URL sets its own `search_path`, which is then honoured.
   */
  readonly databaseSchema: string | null;
  /** Directory for the embedded database and spooled uploads (`--data-dir`, `BATCHGATE_DATA_DIR`). */
  readonly dataDir: string;
  readonly server: {
    readonly host: string;
    readonly port: number;
  };
  readonly limits: {
    /** `general_settings.max_batch_file_size_mb` (default 200 MB), in bytes. */
    readonly maxUploadBytes: number;
    /** `general_settings.max_batch_file_records` (default 50,000). */
    readonly maxBatchLines: number;
  };
  /**
   * `router_settings.model_group_alias`: alias → model group. Clients may name a group by its
   * alias in `target_model_names`, in `body.model` of their lines and in a batch's `model`.
   */
  readonly modelGroupAliases: Readonly<Record<string, string>>;
  /** `litellm_settings.enable_loadbalancing_on_batch_endpoints`. */
  readonly loadBalancingOnBatchEndpoints: boolean;
  readonly routing: {
    /** `router_settings.allowed_fails`: failures in a row before a deployment cools down (default 3). */
    readonly allowedFails: number;
    /** `router_settings.cooldown_time`: seconds a failing deployment is skipped (default 60). */
    readonly cooldownSeconds: number;
  };
  /** Timeout of one upstream call in milliseconds (`router_settings.timeout` seconds, default 600). */
  readonly upstreamTimeoutMs: number;
  readonly lifecycle: {
    /** Run the lifecycle worker inside `serve` (default true; `--no-worker` turns it off). */
    readonly runWorker: boolean;
    /** `general_settings.batch_freshness_seconds` (default 2): a retrieve younger than this answers from the store. */
    readonly freshnessMs: number;
    /** `general_settings.batch_poll_min_interval_seconds` (default 5): first poll after a create, and the backoff floor. */
    readonly minPollMs: number;
    /** LiteLLM's `general_settings.proxy_batch_polling_interval` (seconds, default 300): the backoff ceiling. */
    readonly maxPollMs: number;
    /** `general_settings.worker_concurrency` (default 8): batches one worker polls at once. */
    readonly workerConcurrency: number;
    /** `general_settings.worker_lease_seconds` (default 120): how long a worker holds a batch before another may take it. */
    readonly leaseMs: number;
  };
  readonly recovery: {
    /** `general_settings.upload_idle_timeout_seconds` (default 30): an upload body silent this long is dropped (408). */
    readonly uploadIdleTimeoutMs: number;
    /**
     * `general_settings.pending_grace_seconds`: how old a write-ahead (`pending`) file or batch
     * record must be before the reconciler treats its request as dead. Default: twice the upstream
     * timeout plus a minute, past the deadline of any request that could still be writing it.
     */
    readonly pendingGraceMs: number;
  };
  /** `GET /metrics` (Prometheus text format). */
  readonly metrics: {
    /**
     * `general_settings.metrics`, else `prometheus` in LiteLLM's `litellm_settings.callbacks`
     * (or `success_callback`, `failure_callback`); default off (`/metrics` answers 404).
     */
    readonly enabled: boolean;
    /**
     * Served without a key: `general_settings.metrics_public`, else LiteLLM's
     * `litellm_settings.require_auth_for_metrics_endpoint: false`; default false (master key only).
     */
    readonly public: boolean;
  };
  /** pino level: `--log-level`, else `--detailed_debug` (debug), else `LITELLM_LOG`, else `info`. */
  readonly logLevel: LogLevel;
  /** `general_settings.webhooks` (endpoints) and `general_settings.webhook_settings` (retries): config/webhooks.ts. */
  readonly webhooks: WebhookSettings;
  /**
   * `general_settings.blob_storage` (config/blob-storage.ts): where the gateway keeps the inputs of
   * the batches it executes itself and the outputs it produces. `server/blob-store.ts` builds it.
   */
  readonly blobs: BlobStorageConfig;
  /** Gateway-executed batches: lines run by batchgate against servers with no batch API. */
  readonly executor: {
    /** `general_settings.executor_concurrency` (default 4): chunks of gateway-executed batches one process runs at once. */
    readonly concurrency: number;
    /** `general_settings.executor_chunk_lines` (default 200): lines per leased chunk, the unit of work processes share. */
    readonly chunkLines: number;
    /**
     * `general_settings.executor_lease_seconds` (default 30, at least 0.5): how long a process holds a
     * chunk or a batch step before another may take it; renewed while it works.
     */
    readonly leaseMs: number;
    /**
     * `general_settings.executor_max_retries`, else LiteLLM's `router_settings.num_retries`, else
     * `litellm_settings.num_retries` (default 3): retries of one request after a 429, a 5xx, a
     * reset connection or a timeout.
     */
    readonly maxRetries: number;
    /** `general_settings.executor_retry_max_wait_seconds` (default 60): ceiling of one backoff wait, a Retry-After included. */
    readonly retryMaxWaitMs: number;
  };
  /** Problems that did not stop start-up (e.g. deprecated keys); printed once at boot. */
  readonly warnings: readonly string[];
}

/** `general_settings.blob_storage`, validated; everything `FsBlobStore` / `S3BlobStore` need. */
export type BlobStorageConfig =
  | {
      readonly kind: 'filesystem';
      /** `path`, absolute (a relative one is taken from the working directory); default `<data dir>/blobs`. */
      readonly path: string;
    }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      /** `endpoint`; default `https://s3.<region>.amazonaws.com`. Any S3-compatible service (MinIO, R2, Ceph…). */
      readonly endpoint: string;
      /** `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`: the SigV4 signing region. */
      readonly region: string;
      /** `prefix` of every object key: `''`, or ending with `/` (added when missing). */
      readonly prefix: string;
      /** `access_key_id`, else `AWS_ACCESS_KEY_ID`. */
      readonly accessKeyId: string;
      /** `secret_access_key`, else `AWS_SECRET_ACCESS_KEY`. */
      readonly secretAccessKey: string;
      /** `session_token`; else `AWS_SESSION_TOKEN` when both keys came from the environment; else null. */
      readonly sessionToken: string | null;
      /**
       * `force_path_style`: `endpoint/bucket/key` rather than `bucket.endpoint/key`. Default true when
       * `endpoint` is set (what MinIO and most S3-compatible services want) or the bucket name has a
       * dot (a virtual host would not match the TLS certificate), else false.
       */
      readonly pathStyle: boolean;
    };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the loader needs; `env` is passed in so tests never touch `process.env`. */
export interface LoadConfigInput {
  readonly configPath?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly overrides?: {
    readonly host?: string | undefined;
    readonly port?: number | undefined;
    readonly dataDir?: string | undefined;
    /** `--log-level` as typed (pino's names, or LiteLLM's `DEBUG`/`INFO`/`WARNING`/`ERROR`). */
    readonly logLevel?: string | undefined;
    /** `--detailed_debug`: LiteLLM's flag for debug logs. */
    readonly detailedDebug?: boolean | undefined;
  };
}
