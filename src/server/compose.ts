/**
 * The composition root: the only module that picks concrete implementations (the store, the
 * provider registry) and wires them into the domain services and the HTTP app.
 */
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { GatewayConfig } from '../config/types.js';
import { Authenticator } from '../domain/auth/authenticator.js';
import { BatchService } from '../domain/batches/batch-service.js';
import { DeploymentDirectory } from '../domain/deployments/deployment-directory.js';
import { DeploymentHealth } from '../domain/deployments/deployment-health.js';
import { checkDeployments } from '../domain/deployments/health-check.js';
import type { Random } from '../domain/deployments/placement.js';
import { FileService } from '../domain/files/file-service.js';
import { KeyService } from '../domain/keys/key-service.js';
import { TeamService } from '../domain/keys/team-service.js';
import { LimitsAdmission } from '../domain/limits/batch-admission.js';
import { ModelCatalog } from '../domain/models/model-catalog.js';
import { systemClock, type Clock } from '../domain/ports/clock.js';
import { silentLogger, type Logger } from '../domain/ports/logger.js';
import type { Store } from '../domain/ports/store.js';
import type { ServiceDeps } from '../domain/service-deps.js';
import { createApp } from '../http/app.js';
import { createProviderRegistry } from '../providers/registry.js';
import { createStore } from '../store/create-store.js';
import { InFlightRecords } from '../domain/recovery/in-flight.js';
import { PendingReconciler } from '../domain/recovery/pending-reconciler.js';
import { reconcileIntervalMs, startReconcileLoop } from '../worker/reconcile-loop.js';
import { claimSpoolDir } from './spool-dir.js';

export interface ComposeOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Fastify's logger option (a pino config, or false). */
  readonly httpLogger?: FastifyServerOptions['logger'];
  readonly logger?: Logger;
  /** Run the pending-record reconciler in the background (default true); tests may drive it by hand. */
  readonly reconcile?: boolean;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly files: FileService;
  readonly batches: BatchService;
  readonly health: DeploymentHealth;
  readonly directory: DeploymentDirectory;
  readonly reconciler: PendingReconciler;
  /** This process's spool folder (under `<data dir>/spool`). */
  readonly spoolDir: string;
  /** Stops accepting requests, waits for the ones in flight, then closes the store. */
  close(): Promise<void>;
}

export async function composeGateway(config: GatewayConfig, options: ComposeOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const spool = await claimSpoolDir(join(config.dataDir, 'spool'), logger);
  const store = await createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const registry = createProviderRegistry({ timeoutMs: config.upstreamTimeoutMs });
  const directory = new DeploymentDirectory(config.deployments, config.modelGroupAliases);
  const health = new DeploymentHealth(clock, config.routing.allowedFails, config.routing.cooldownSeconds);
  const deps: ServiceDeps = {
    store,
    registry,
    directory,
    health,
    clock,
    random: options.random ?? Math.random,
    logger,
    limits: { maxBatchLines: config.limits.maxBatchLines },
    loadBalancing: config.loadBalancingOnBatchEndpoints,
    recovery: {
      pendingGraceMs: config.recovery.pendingGraceMs,
      reconcileIntervalMs: reconcileIntervalMs(config.recovery.pendingGraceMs),
      inFlight: new InFlightRecords(),
    },
  };
  const files = new FileService(deps);
  const batches = new BatchService(deps, new LimitsAdmission({ store, clock }));
  const app = await createApp({
    files,
    batches,
    authenticator: new Authenticator(store, config.masterKey, clock),
    keys: new KeyService({ store, clock, logger: deps.logger, authEnabled: config.masterKey !== null }),
    teams: new TeamService({ store, clock, logger: deps.logger }),
    models: {
      catalog: new ModelCatalog(directory),
      checkDeployments: (signal) => checkDeployments(directory, registry, health, signal),
    },
    pingStore: () => store.ping(),
    spoolDir: spool.path,
    maxUploadBytes: config.limits.maxUploadBytes,
    requestTimeoutMs: config.upstreamTimeoutMs,
    uploadIdleTimeoutMs: config.recovery.uploadIdleTimeoutMs,
    logger: options.httpLogger ?? false,
  });
  const reconciler = new PendingReconciler(deps, batches);
  const loop = options.reconcile === false ? null : startReconcileLoop(reconciler, deps.recovery.reconcileIntervalMs, logger);
  return {
    app,
    store,
    files,
    batches,
    health,
    directory,
    reconciler,
    spoolDir: spool.path,
    async close() {
      await loop?.stop();
      await app.close();
      await registry.close();
      await store.close();
      await spool.release();
    },
  };
}
