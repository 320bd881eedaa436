import type { DeploymentDirectory } from './deployments/deployment-directory.js';
import type { DeploymentHealth } from './deployments/deployment-health.js';
import type { Random } from './deployments/placement.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import type { ProviderRegistry } from './ports/provider-adapter.js';
import type { Store } from './ports/store.js';
import type { InFlightRecords } from './recovery/in-flight.js';

/** What the domain services need from the rest of the system, injected by the composition root. */
export interface ServiceDeps {
  readonly store: Store;
  readonly registry: ProviderRegistry;
  readonly directory: DeploymentDirectory;
  readonly health: DeploymentHealth;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly limits: { readonly maxBatchLines: number };
  readonly loadBalancing: boolean;
  readonly recovery: {
    /** How old a pending (write-ahead) record must be before the reconciler takes its request for dead. */
    readonly pendingGraceMs: number;
    /** How often the reconciler looks. */
    readonly reconcileIntervalMs: number;
    /** Pending records this process is still writing; never reconciled. */
    readonly inFlight: InFlightRecords;
  };
}
