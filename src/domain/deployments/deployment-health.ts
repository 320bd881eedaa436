/**
 * Tracks failures per deployment so placement skips deployments that keep failing. After
 * `allowedFails` failures in a row a deployment cools down for `cooldownSeconds`; any success
 * resets it. State is per process: replicas each learn on their own, which is enough for
 * steering new work away from a broken upstream.
 */
import type { Clock } from '../ports/clock.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';

export interface DeploymentState {
  readonly deploymentId: string;
  readonly consecutiveFailures: number;
  readonly coolingDownUntilMs: number | null;
  readonly lastError: string | null;
}

export class DeploymentHealth {
  private readonly states = new Map<string, { failures: number; until: number | null; lastError: string | null }>();

  constructor(
    private readonly clock: Clock,
    private readonly allowedFails: number,
    private readonly cooldownSeconds: number,
  ) {}

  recordSuccess(deploymentId: string): void {
    this.states.delete(deploymentId);
  }

  recordFailure(deploymentId: string, reason: string): void {
    const state = this.states.get(deploymentId) ?? { failures: 0, until: null, lastError: null };
    state.failures += 1;
    state.lastError = reason;
    if (state.failures >= this.allowedFails) state.until = this.clock.now() + this.cooldownSeconds * 1000;
    this.states.set(deploymentId, state);
  }

  isCoolingDown(deploymentId: string): boolean {
    const until = this.states.get(deploymentId)?.until ?? null;
    return until !== null && until > this.clock.now();
  }

  stateOf(deploymentId: string): DeploymentState {
    const state = this.states.get(deploymentId);
    const until = state?.until ?? null;
    return {
      deploymentId,
      consecutiveFailures: state?.failures ?? 0,
      coolingDownUntilMs: until !== null && until > this.clock.now() ? until : null,
      lastError: state?.lastError ?? null,
    };
  }
}

/**
 * A file or batch call that succeeded says the upstream is healthy only when the upstream answered
 * it: for a gateway-executed deployment those calls are answered by the gateway itself, and its
 * health is what its inference calls say (a successful retrieve must not undo their failures).
 */
export function recordControlSuccess(health: DeploymentHealth, adapter: ProviderAdapter): void {
  if (adapter.capabilities.batchExecution === 'native') health.recordSuccess(adapter.deployment.id);
}
