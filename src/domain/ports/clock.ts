/** Injectable time and randomness, so tests can pin both. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const toSeconds = (ms: number): number => Math.floor(ms / 1000);
