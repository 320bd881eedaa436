/**
 * Plain virtual keys: `sk-` and 43 base62 characters from a CSPRNG (~256 bits). Shown once by
 * `/key/generate`; only their SHA-256 is stored (`auth/key-hash.ts`).
 */
import { hashKey } from '../auth/key-hash.js';
import { randomBase62 } from '../ids.js';

const KEY_CHARS = 43;

export const newPlainKey = (): string => `sk-${randomBase62(KEY_CHARS)}`;

/** LiteLLM's abbreviated, non-secret rendering of a key for listings: `sk-...abcd`. */
export const keyNameOf = (plain: string): string => `sk-...${plain.slice(-4)}`;

const HASH = /^[0-9a-f]{64}$/;

/**
 * Admin routes take a key as LiteLLM does: the plain key or its hash (`token`). A plain key is
 * never 64 hex characters (it starts with `sk-`), so the two cannot be confused.
 */
export const hashOfKeyRef = (ref: string): string => (HASH.test(ref) ? ref : hashKey(ref));
