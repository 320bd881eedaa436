/**
 * Client-visible ids are minted here: OpenAI's prefixes, then 24 base62 characters from a CSPRNG
 * (~143 bits), so ids are opaque, unguessable and say nothing about the deployment behind them.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * CSPRNG bytes drawn 4 KB at a time: a gateway-executed batch mints an id per line, and one
 * `randomBytes` call per id was a tenth of the executor's own time (bench/RESULTS.md). Each byte
 * is used once and the pool is refilled when spent, so the ids are as unpredictable as before.
 */
const POOL_BYTES = 4096;
let pool = randomBytes(POOL_BYTES);
let poolAt = 0;

const nextRandomByte = (): number => {
  if (poolAt === POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  return pool[poolAt++]!;
};

/** Uniformly random base62 text from a CSPRNG; also used for virtual keys. */
export const randomBase62 = (length: number): string => {
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps the draw uniform.
  let out = '';
  while (out.length < length) {
    const byte = nextRandomByte();
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
};

export const newFileId = (): string => `file-${randomBase62(24)}`;
export const newBatchId = (): string => `batch_${randomBase62(24)}`;

const ID_RANDOM_LENGTH = 24;
const BASE62 = /^[0-9A-Za-z]+$/;

/**
 * Returns `text` when it has exactly the shape `newFileId` / `newBatchId` mint for `kind`
 * (`file-` or `batch_`, then 24 base62 characters), and null for anything else: other
 * prefixes, raw provider ids, whitespace, unicode lookalikes. Never throws, and the length is
 * checked first, so a huge input costs O(1).
 */
export function parseGatewayId(kind: 'file' | 'batch', text: string): string | null {
  // Guards for untyped (JavaScript) callers: the contract is "never throws".
  if (typeof text !== 'string') return null;
  const prefix = kind === 'file' ? 'file-' : kind === 'batch' ? 'batch_' : null;
  if (prefix === null) return null;
  if (text.length !== prefix.length + ID_RANDOM_LENGTH || !text.startsWith(prefix)) return null;
  return BASE62.test(text.slice(prefix.length)) ? text : null;
}
