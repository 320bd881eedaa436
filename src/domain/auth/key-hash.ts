import { createHash, timingSafeEqual } from 'node:crypto';

/** Keys are stored and looked up by this hash only; the plain key is never persisted. */
export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Constant-time comparison, so a wrong master key reveals nothing through timing. */
export const sameSecret = (a: string, b: string): boolean => {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
};
