/** What every adapter factory receives from the registry. */
import type { Dispatcher } from 'undici';
import type { Clock } from '../../domain/ports/clock.js';
import type { UpstreamCallObserver } from './call-report.js';

export interface AdapterDeps {
  /** Timeout of one upstream call, in milliseconds. */
  readonly timeoutMs: number;
  /** Shared connection pools (one per origin); undici's global Agent when absent. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Told about every upstream call (metrics); pass it on to `createHttpClient`. */
  readonly observer?: UpstreamCallObserver | undefined;
  /** Time for token expiry and request signing; the system clock when absent. */
  readonly clock?: Clock | undefined;
  /**
   * The process environment, for credential chains that read it (AWS_*, GOOGLE_*); `process.env`
   * when absent. Tests pass their own.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}
