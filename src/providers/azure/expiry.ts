/**
 * Azure's lower bound on file expiry. Its how-to and the classic spec accept `expires_after` and
 * `output_expires_after` seconds only in 1209600–2592000 (14–30 days); the v1 REST page copies
 * OpenAI's 3600 minimum, so the two disagree (`reference/wire.md` §3.3). A shorter expiry would
 * fail the whole upload, so it is raised to the minimum: the upstream copy then lives longer than
 * asked, while the gateway keeps the client's own expiry on the object it minted.
 */
import type { ExpiresAfter } from '../../contracts/openai.js';

export const AZURE_MIN_EXPIRES_SECONDS = 1_209_600;

export const clampAzureExpiry = (expiresAfter: ExpiresAfter | null): ExpiresAfter | null =>
  expiresAfter === null || expiresAfter.seconds >= AZURE_MIN_EXPIRES_SECONDS
    ? expiresAfter
    : { ...expiresAfter, seconds: AZURE_MIN_EXPIRES_SECONDS };
