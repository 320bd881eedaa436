import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of a key: what it is stored and looked up by, and what secrets are compared on. */
export const keyDigest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** Keys are stored and looked up by this hash only; the plain key is never persisted. */
export const hashKey = (key: string): string => keyDigest(key).toString('hex');

/**
 * Constant-time comparison of two keys' digests, so a wrong master key reveals nothing through
 * timing. On digests, so a presented key is hashed once for both this and the lookup (it was
 * hashed three times a request, the master key once more each time).
 */
export const sameDigest = (a: Buffer, b: Buffer): boolean => timingSafeEqual(a, b);
