import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

export interface GatewayErrorOptions {
  /** The request field the error is about, echoed as `error.param`. */
  param?: string | null;
  /** Overrides the catalogue status (used for upstream 4xx kept as they came). */
  status?: number;
  /** Overrides the catalogue type (used for upstream 4xx kept as they came). */
  type?: string;
  /** The `error.code` sent to clients when it differs from the catalogue code. */
  wireCode?: string | null;
  /** Seconds a client should wait, sent as `Retry-After`. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** An error with a catalogue code; its message is safe to show to the client. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly wireCode: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_CATALOGUE[code].status;
    this.type = options.type ?? ERROR_CATALOGUE[code].type;
    this.param = options.param ?? null;
    this.wireCode = options.wireCode === undefined ? code : options.wireCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const notFound = (kind: 'file' | 'batch', id: string): GatewayError =>
  new GatewayError('not_found', `No such ${kind === 'file' ? 'File' : 'Batch'} object: ${id}`, {
    param: kind === 'file' ? 'file_id' : 'batch_id',
  });
