/**
 * Names what went wrong when an upstream call threw instead of answering. undici and Node report
 * transport failures by `code`; we only need to tell "slow" (504 to the client) from "unreachable
 * or broken mid-way" (502).
 */
import type { UpstreamFailure } from '../../errors/upstream-error.js';

/** undici's own timers: the upstream accepted the connection but went quiet. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

const codeOf = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Classifies a thrown transport error. A connect timeout counts as 'connection': the deployment
 * could not be reached at all, which is what the 502 message says.
 */
export const classifyTransportError = (error: unknown): Exclude<UpstreamFailure, 'http'> => {
  const code = codeOf(error) ?? codeOf(error instanceof Error ? error.cause : undefined);
  return code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'connection';
};

/** A short human description: the code and message of the error, never request headers. */
export const describeTransportError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = codeOf(error) ?? codeOf(error.cause);
  const causeMessage = error.cause instanceof Error ? error.cause.message : '';
  const message = causeMessage !== '' && causeMessage !== error.message ? `${error.message}: ${causeMessage}` : error.message;
  return code === undefined ? message : `${code}: ${message}`;
};
