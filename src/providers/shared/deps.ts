/** What every adapter factory receives from the registry. */
import type { Dispatcher } from 'undici';
import type { UpstreamCallObserver } from './call-report.js';

export interface AdapterDeps {
  /** Timeout of one upstream call, in milliseconds. */
  readonly timeoutMs: number;
  /** Shared connection pools (one per origin); undici's global Agent when absent. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Told about every upstream call (metrics); pass it on to `createHttpClient`. */
  readonly observer?: UpstreamCallObserver | undefined;
}
