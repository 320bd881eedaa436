/**
 * `Idempotency-Key` on `POST /v1/batches`. The key is scoped to its owner (two tenants may pick
 * the same key) and stored hashed, with a fingerprint of the request: the same key with the same
 * request answers the batch it created, even across a gateway crash (the reconciler adopts a
 * batch whose create was interrupted, see `recovery/`); the same key with another request is a 409.
 */
import { createHash } from 'node:crypto';
import type { CreateBatchRequest } from '../../contracts/requests.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { ownerOf, type Principal } from '../principal.js';
import type { IdempotentCreate } from '../ports/store.js';

/** Longer keys are refused rather than hashed: a key is an opaque token, not a payload. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so two spellings of one request fingerprint alike. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

export const idempotentCreate = (principal: Principal, key: string, request: CreateBatchRequest): IdempotentCreate => {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new GatewayError('invalid_request', `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, {
      param: 'Idempotency-Key',
    });
  }
  return { key: sha256(canonical({ owner: ownerOf(principal), key })), fingerprint: sha256(canonical(request)) };
};

export const keyReusedForAnotherRequest = (): GatewayError =>
  new GatewayError('idempotency_conflict', 'This Idempotency-Key was already used with a different batch request.', {
    param: 'Idempotency-Key',
  });

export const createStillInProgress = (retryAfterSeconds: number): GatewayError =>
  new GatewayError(
    'idempotency_conflict',
    `A batch create with this Idempotency-Key is still in progress; retry in ${retryAfterSeconds} s.`,
    { param: 'Idempotency-Key', retryAfterSeconds },
  );
