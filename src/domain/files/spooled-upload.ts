import type { Readable } from 'node:stream';

/**
 * An upload the HTTP layer has already written to local disk. The domain reads it as many times
 * as it needs (one validation pass, then one stream per target deployment) without holding it
 * in memory.
 */
export interface SpooledUpload {
  readonly filename: string;
  readonly bytes: number;
  open(): Readable;
}
