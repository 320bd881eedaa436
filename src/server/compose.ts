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
import { SpendService } from '../domain/spend/spend-service.js';
import { LimitsAdmission } from '../domain/limits/batch-admission.js';
import { ModelCatalog } from '../domain/models/model-catalog.js';
import { systemClock, type Clock } from '../domain/ports/clock.js';
import { silentLogger, type Logger } from '../domain/ports/logger.js';
import type { Store } from '../domain/ports/store.js';
import { noopMetrics, type Metrics } from '../domain/ports/metrics.js';
import { PrometheusMetrics } from '../metrics/prometheus.js';
import type { EventSink } from '../domain/ports/event-sink.js';
import { fanOut } from '../domain/events/fan-out.js';
import { LogEventSink } from '../domain/events/log-sink.js';
import { WebhookEndpoints } from '../domain/events/webhook-endpoints.js';
import { WebhookEventSink } from '../domain/events/webhook-sink.js';
import { startWebhookDelivery } from '../worker/webhook-delivery.js';
import { createWebhookSender } from './webhook-sender.js';
import type { ServiceDeps } from '../domain/service-deps.js';
import { createApp } from '../http/app.js';
import { closeGracefully } from '../http/graceful-close.js';
import { createProviderRegistry } from '../providers/registry.js';
import { ConfigError } from '../config/errors.js';
import { withCollectedResults } from '../domain/results/collected-adapter.js';
import { withGatewayStaging } from '../domain/files/staged-adapter.js';
import { warnOrphanedBatches } from '../domain/recovery/orphaned-batches.js';
import { createStore } from '../store/create-store.js';
import { InFlightRecords } from '../domain/recovery/in-flight.js';
import { PendingReconciler } from '../domain/recovery/pending-reconciler.js';
import { reconcileIntervalMs, startReconcileLoop } from '../worker/reconcile-loop.js';
import { startBatchPoller, type BatchPoller } from '../worker/batch-poller.js';
import { BatchFollower } from '../domain/lifecycle/batch-follower.js';
import { BatchFinisher } from '../domain/lifecycle/finish-batch.js';
import { claimSpoolDir } from './spool-dir.js';
import { createBlobStore } from './blob-store.js';
import type { BlobStore } from '../domain/ports/blob-store.js';
import { withGatewayExecution } from '../domain/executor/executed-adapter.js';
import { BatchExecutor } from '../domain/executor/batch-executor.js';
import { BudgetGuard } from '../domain/executor/budget-guard.js';
import { DeploymentLimiter } from '../domain/executor/deployment-limiter.js';
import { newWorkerId, startExecutorLoop, type ExecutorLoop } from '../worker/executor-loop.js';

export interface ComposeOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Fastify's logger option (a pino config, or false). */
  readonly httpLogger?: FastifyServerOptions['logger'];
  readonly logger?: Logger;
  /** Another sink for lifecycle events (tests observe them here); logs and webhooks get them anyway. */
  readonly events?: EventSink;
  /** Deliver the webhook outbox in the background (default true); tests may turn it off. */
  readonly webhooks?: boolean;
  /** Run the lifecycle worker in the background (default: as the config says); tests may drive it by hand. */
  readonly worker?: boolean;
  /** Run the pending-record reconciler in the background (default true); tests may drive it by hand. */
  readonly reconcile?: boolean;
  /** Run gateway-executed batches in the background (default: as `worker`); tests may drive it by hand. */
  readonly executor?: boolean;
  /** How often an idle executor looks for work, in ms (default 250). */
  readonly executorTickMs?: number;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly files: FileService;
  readonly batches: BatchService;
  readonly health: DeploymentHealth;
  readonly directory: DeploymentDirectory;
  readonly reconciler: PendingReconciler;
  /** The one metrics instance of this process (a no-op when metrics are off): hand it to the worker. */
  readonly metrics: Metrics;
  /** The lifecycle worker (running unless turned off; `runOnce` drives it by hand). */
  readonly poller: BatchPoller;
  /** The runner of gateway-executed batches (running unless turned off; `drain` drives it by hand). */
  readonly executor: ExecutorLoop;
  /** Where gateway-executed inputs and outputs are kept. */
  readonly blobs: BlobStore;
  /** This process's spool folder (under `<data dir>/spool`). */
  readonly spoolDir: string;
  /** Where every lifecycle event goes: JSON logs, the webhook outbox, and `options.events`. */
  readonly events: EventSink;
  /** Stops accepting requests, waits for the ones in flight, then closes the store. */
  close(): Promise<void>;
}

export async function composeGateway(config: GatewayConfig, options: ComposeOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const prometheus = config.metrics.enabled ? new PrometheusMetrics() : null;
  const metrics: Metrics = prometheus ?? noopMetrics;
  const providers = createProviderRegistry({
    timeoutMs: config.upstreamTimeoutMs,
    clock,
    observer: (call) =>
      metrics.upstreamCall(call.deploymentId, directory.byId(call.deploymentId)?.modelGroup ?? '', call.operation, call.outcome, call.seconds),
  });
  // Every adapter is built before anything is opened: a deployment that cannot work stops start-up.
  const problems = providers.problems(config.deployments);
  if (problems.length > 0) {
    await providers.close();
    throw new ConfigError(problems);
  }
  const spool = await claimSpoolDir(join(config.dataDir, 'spool'), logger);
  const store = await createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgSchema: config.databaseSchema ?? undefined });
  const blobs = createBlobStore(config.blobs);
  let wakeExecutor = (): void => {};
  // Deployments with no batch API of their own get the gateway's executor behind the same port.
  const executed = withGatewayExecution(providers, { executions: store.executions, blobs, clock, wake: () => wakeExecutor() });
  // Upstreams whose results are not OpenAI files get theirs written by the gateway, behind the same port.
  // Upstreams without a files API have their inputs kept by the gateway and streamed at create.
  const staged = withGatewayStaging(executed, { blobs, clock });
  const registry = withCollectedResults(staged, { store, blobs, clock, logger });
  const directory = new DeploymentDirectory(config.deployments, config.modelGroupAliases);
  const health = new DeploymentHealth(clock, config.routing.allowedFails, config.routing.cooldownSeconds);
  await warnOrphanedBatches(store, directory, logger);
  // Lifecycle events (issue 8 §5–6): JSON logs and the webhook outbox, delivered in the background.
  const webhookEndpoints = new WebhookEndpoints(config.webhooks.endpoints, store.keys);
  const webhookSender = createWebhookSender({ timeoutMs: config.webhooks.delivery.timeoutMs });
  let wakeWebhooks = (): void => {};
  const events: EventSink = fanOut(
    new LogEventSink(logger, directory),
    new WebhookEventSink({ outbox: store.outbox, endpoints: webhookEndpoints, clock, onEnqueued: () => wakeWebhooks() }),
    ...(options.events === undefined ? [] : [options.events]),
  );
  const webhookDelivery =
    options.webhooks === false
      ? null
      : startWebhookDelivery({ outbox: store.outbox, endpoints: webhookEndpoints, transport: webhookSender, events, clock, logger, settings: config.webhooks.delivery });
  wakeWebhooks = () => webhookDelivery?.wake();
  const deps: ServiceDeps = {
    store,
    blobs,
    registry,
    directory,
    health,
    clock,
    random: options.random ?? Math.random,
    logger,
    limits: { maxBatchLines: config.limits.maxBatchLines },
    loadBalancing: config.loadBalancingOnBatchEndpoints,
    lifecycle: {
      freshnessMs: config.lifecycle.freshnessMs,
      // Past the upstream call's own timeout, which names the deployment when it fires first.
      refreshTimeoutMs: 2 * config.upstreamTimeoutMs,
      minPollMs: config.lifecycle.minPollMs,
      maxPollMs: config.lifecycle.maxPollMs,
    },
    events,
    metrics,
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
    spend: new SpendService(store),
    clock,
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
    metrics: prometheus === null ? null : { metrics: prometheus, public: config.metrics.public },
    deployments: { directory, health, countBatches: () => store.batches.countByStatus() },
  });
  const reconciler = new PendingReconciler(deps, batches);
  const follower = new BatchFollower(deps, batches, new BatchFinisher(deps));
  const poller = startBatchPoller(
    {
      polls: store.polls,
      follower,
      clock,
      logger,
      concurrency: config.lifecycle.workerConcurrency,
      leaseMs: config.lifecycle.leaseMs,
      tickMs: Math.min(1000, config.lifecycle.minPollMs),
      snapshot: async (lagSeconds) => {
        metrics.setWorkerLag(lagSeconds);
        metrics.batchCounts(await store.batches.countByStatus());
        metrics.setOutboxDepth(await store.outbox.countPending());
      },
    },
    config.lifecycle.runWorker && options.worker !== false,
  );
  const workerId = newWorkerId();
  const limiter = new DeploymentLimiter();
  const executor = new BatchExecutor({
    store,
    blobs,
    clock,
    logger,
    directory,
    settings: { chunkLines: config.executor.chunkLines, leaseMs: config.executor.leaseMs },
    chunk: {
      executions: store.executions,
      blobs,
      clock,
      logger,
      budget: new BudgetGuard({ store, clock }),
      limiter,
      leaseMs: config.executor.leaseMs,
      send: {
        registry,
        health,
        random: deps.random,
        limiter,
        settings: { maxRetries: config.executor.maxRetries, retryMaxWaitMs: config.executor.retryMaxWaitMs, retryBaseMs: 500 },
        workerId,
      },
    },
  });
  const executorLoop = startExecutorLoop(
    {
      executor,
      executions: store.executions,
      clock,
      logger,
      concurrency: config.executor.concurrency,
      leaseMs: config.executor.leaseMs,
      tickMs: options.executorTickMs ?? 250,
      owner: workerId,
    },
    config.lifecycle.runWorker && (options.executor ?? options.worker) !== false,
  );
  wakeExecutor = () => executorLoop.wake();
  const loop = options.reconcile === false ? null : startReconcileLoop(reconciler, deps.recovery.reconcileIntervalMs, logger);
  return {
    app,
    store,
    files,
    batches,
    health,
    directory,
    reconciler,
    metrics,
    spoolDir: spool.path,
    poller,
    executor: executorLoop,
    blobs,
    events,
    async close() {
      await executorLoop.stop();
      await poller.stop();
      await loop?.stop();
      await webhookDelivery?.stop();
      await webhookSender.close();
      await closeGracefully(app);
      await providers.close();
      await store.close();
      await spool.release();
    },
  };
}
