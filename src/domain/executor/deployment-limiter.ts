/**
 * The pace at which this process sends a deployment requests of gateway-executed batches: at most
 * `max_parallel_requests` at once (default 8), and within its `rpm` / `tpm` (LiteLLM's
 * `litellm_params`, else `model_info`), as token buckets that refill continuously and hold one
 * minute's worth. Shared by every chunk the process runs, so two batches on one deployment share
 * its limits. Several processes each apply the limits on their own (documented).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '../deployment.js';

export const DEFAULT_MAX_PARALLEL_REQUESTS = 8;

const positive = (value: unknown): number | null => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null;
};

const setting = (d: Deployment, key: string): number | null => positive(d.params[key]) ?? positive(d.info[key]);

/** A bucket of `perMinute` units that refills continuously; a request takes what it needs. */
class PerMinuteBucket {
  private level: number;
  private at = performance.now();
  constructor(private readonly perMinute: number) {
    this.level = perMinute;
  }

  /** Milliseconds until `units` can be taken (0: taken now). Asks for more than a minute's worth wait for a full bucket. */
  take(units: number): number {
    const now = performance.now();
    this.level = Math.min(this.perMinute, this.level + ((now - this.at) * this.perMinute) / 60_000);
    this.at = now;
    const need = Math.min(units, this.perMinute);
    if (this.level >= need) {
      this.level -= need;
      return 0;
    }
    return Math.ceil(((need - this.level) * 60_000) / this.perMinute);
  }
}

class Pace {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly rpm: PerMinuteBucket | null;
  private readonly tpm: PerMinuteBucket | null;
  readonly maxParallel: number;

  constructor(deployment: Deployment) {
    this.maxParallel = Math.floor(setting(deployment, 'max_parallel_requests') ?? DEFAULT_MAX_PARALLEL_REQUESTS);
    const rpm = setting(deployment, 'rpm');
    const tpm = setting(deployment, 'tpm');
    this.rpm = rpm === null ? null : new PerMinuteBucket(rpm);
    this.tpm = tpm === null ? null : new PerMinuteBucket(tpm);
  }

  async acquire(tokens: number, signal: AbortSignal): Promise<() => void> {
    if (this.active >= this.maxParallel) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const at = this.waiting.indexOf(go);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        const go = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active += 1;
    }
    // The slot is held while waiting for the buckets, so waiters keep their order.
    try {
      for (let wait = this.wait(tokens); wait > 0; wait = this.wait(tokens)) await sleep(wait, undefined, { signal });
    } catch (err) {
      this.release();
      // The caller's own reason, as for a wait in the queue.
      throw signal.aborted ? signal.reason : err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private wait(tokens: number): number {
    const forRequests = this.rpm?.take(1) ?? 0;
    if (forRequests > 0) return forRequests;
    return this.tpm?.take(Math.max(1, tokens)) ?? 0;
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter.
    if (next !== undefined) next();
    else this.active -= 1;
  }
}

export class DeploymentLimiter {
  private readonly paces = new Map<string, { deployment: Deployment; pace: Pace }>();

  /** Waits for a slot on `deployment` and room in its rpm/tpm; resolves with the slot's release. */
  acquire(deployment: Deployment, estimatedTokens: number, signal: AbortSignal): Promise<() => void> {
    return this.paceOf(deployment).acquire(estimatedTokens, signal);
  }

  /** How many requests this process sends the deployment at most at once. */
  maxParallel(deployment: Deployment): number {
    return this.paceOf(deployment).maxParallel;
  }

  private paceOf(deployment: Deployment): Pace {
    const known = this.paces.get(deployment.id);
    // A reloaded config brings a new Deployment object: its limits may have changed.
    if (known !== undefined && known.deployment === deployment) return known.pace;
    const pace = new Pace(deployment);
    this.paces.set(deployment.id, { deployment, pace });
    return pace;
  }
}
