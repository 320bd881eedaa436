import type { DeploymentDirectory } from './deployments/deployment-directory.js';
import type { DeploymentHealth } from './deployments/deployment-health.js';
import type { Random } from './deployments/placement.js';
import type { BlobStore } from './ports/blob-store.js';
import type { Clock } from './ports/clock.js';
import type { EventSink } from './ports/event-sink.js';
import type { Logger } from './ports/logger.js';
import type { Metrics } from './ports/metrics.js';
import type { ProviderRegistry } from './ports/provider-adapter.js';
import type { Store } from './ports/store.js';
import type { InFlightRecords } from './recovery/in-flight.js';

/** What the domain services need from the rest of the system, injected by the composition root. */
export interface ServiceDeps {
  readonly store: Store;
  /** Bytes the gateway keeps itself: originals of inputs sent upstream in another format, results it writes. */
  readonly blobs: BlobStore;
  readonly registry: ProviderRegistry;
  readonly directory: DeploymentDirectory;
  readonly health: DeploymentHealth;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly limits: { readonly maxBatchLines: number };
  readonly loadBalancing: boolean;
  readonly lifecycle: {
    /** A retrieve answers from the store while the batch was read from upstream this recently. */
    readonly freshnessMs: number;
    /** Bound of the one upstream refresh that concurrent retrieves share. */
    readonly refreshTimeoutMs: number;
    /** The worker's first poll after a create, and the floor of its backoff. */
    readonly minPollMs: number;
    /** The ceiling of the worker's backoff (`proxy_batch_polling_interval`). */
    readonly maxPollMs: number;
  };
  /** Where lifecycle events go (logs, webhooks). */
  readonly events: EventSink;
  /** Counters and gauges for `GET /metrics` (a no-op when metrics are off). */
  readonly metrics: Metrics;
  readonly recovery: {
    /** How old a pending (write-ahead) record must be before the reconciler takes its request for dead. */
    readonly pendingGraceMs: number;
    /** How often the reconciler looks. */
    readonly reconcileIntervalMs: number;
    /** Pending records this process is still writing; never reconciled. */
    readonly inFlight: InFlightRecords;
  };
}
