/**
 * The validated, frozen configuration every other module receives. Produced only by
 * `config/load.ts` from a LiteLLM-compatible `config.yaml`, the environment and CLI flags.
 */
import type { Deployment } from '../domain/deployment.js';

export interface GatewayConfig {
  readonly deployments: readonly Deployment[];
  /** `general_settings.master_key`, `BATCHGATE_MASTER_KEY` or `LITELLM_MASTER_KEY`; null = no auth. */
  readonly masterKey: string | null;
  /** PostgreSQL URL (`general_settings.database_url` or `DATABASE_URL`); null = embedded SQLite. */
  readonly databaseUrl: string | null;
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
  /** Problems that did not stop start-up (e.g. deprecated keys); printed once at boot. */
  readonly warnings: readonly string[];
}

/** What the loader needs; `env` is passed in so tests never touch `process.env`. */
export interface LoadConfigInput {
  readonly configPath?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly overrides?: {
    readonly host?: string | undefined;
    readonly port?: number | undefined;
    readonly dataDir?: string | undefined;
  };
}
