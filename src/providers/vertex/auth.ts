/**
 * OAuth2 access tokens from a service-account key (`reference/wire.md` §4.1): a JWT signed RS256
 * with the key (`kid` = `private_key_id`), exchanged at the key's own `token_uri`. One token is
 * shared by every call of the deployment and renewed {@link REFRESH_EARLY_MS} before it expires;
 * concurrent callers wait on the same renewal. A token Google refused (401) is dropped so the
 * next call fetches a new one.
 */
import { sign } from 'node:crypto';
import type { Clock } from '../../domain/ports/clock.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import type { HttpClient } from '../shared/http-client.js';
import { integerAt, isRecord, stringAt } from '../shared/json.js';
import type { ServiceAccount } from './credentials.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Renew this long before expiry, so a token never expires mid-call. */
export const REFRESH_EARLY_MS = 5 * 60_000;
/** Google's maximum assertion lifetime. */
const ASSERTION_SECONDS = 3600;

export interface TokenSource {
  /** A valid access token (cached, or fetched once for all concurrent callers). */
  token(signal: AbortSignal): Promise<string>;
  /** Drops `token` if it is still the cached one (the upstream answered 401 to it). */
  invalidate(token: string): void;
  /** The latest tokens issued, scrubbed from messages. */
  secrets(): readonly string[];
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** The signed assertion: `header.claims.signature`. */
export const signAssertion = (account: ServiceAccount, nowSeconds: number): string => {
  const header = { alg: 'RS256', typ: 'JWT', ...(account.privateKeyId === null ? {} : { kid: account.privateKeyId }) };
  const claims = {
    iss: account.clientEmail,
    scope: CLOUD_PLATFORM_SCOPE,
    aud: account.tokenUri,
    iat: nowSeconds,
    exp: nowSeconds + ASSERTION_SECONDS,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${base64url(sign('RSA-SHA256', Buffer.from(unsigned), account.privateKey))}`;
};

/** Resolves like `promise`, or rejects with the signal's reason as soon as it aborts. */
const untilAborted = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> => {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
};

export const createTokenSource = (account: ServiceAccount, http: HttpClient, clock: Clock): TokenSource => {
  let cached: { token: string; refreshAt: number } | null = null;
  let inflight: Promise<string> | null = null;
  // The last tokens issued: a message may still quote the one just superseded.
  let recent: string[] = [];

  const refused = (status: number, body: unknown): UpstreamError => {
    const record = isRecord(body) ? body : {};
    const code = stringAt(record, 'error');
    const description = stringAt(record, 'error_description');
    return new UpstreamError({
      deploymentId: http.deploymentId,
      failure: 'http',
      // The token endpoint refusing our key (400 invalid_grant) is an authentication failure of
      // the deployment, and says so as a 401; its own 429/5xx stay what they were.
      status: status === 429 || status >= 500 ? status : 401,
      message: `the OAuth token endpoint refused the service-account key${code === null ? '' : ` (${code}${description === null ? '' : `: ${description}`})`}`,
      code,
    });
  };

  const fetchToken = async (): Promise<string> => {
    const now = clock.now();
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: signAssertion(account, Math.floor(now / 1000)),
    }).toString();
    // Not the caller's signal: the renewal is shared, and one caller giving up must not fail the others.
    const response = await http.exchange({
      method: 'POST',
      url: account.tokenUri,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      signal: new AbortController().signal,
      operation: 'POST /token',
    });
    if (response.status < 200 || response.status > 299) throw refused(response.status, response.body);
    const body = isRecord(response.body) ? response.body : {};
    const token = stringAt(body, 'access_token');
    const expiresIn = integerAt(body, 'expires_in') ?? 3600;
    if (token === null || token === '') throw http.malformed('a token answer without access_token');
    // A short-lived token (a test, a proxy) is renewed at half its life rather than at once.
    const lifeMs = Math.max(0, expiresIn * 1000);
    cached = { token, refreshAt: now + lifeMs - Math.min(REFRESH_EARLY_MS, lifeMs / 2) };
    recent = [token, ...recent].slice(0, 2);
    return token;
  };

  return {
    token: (signal) => {
      if (cached !== null && clock.now() < cached.refreshAt) return Promise.resolve(cached.token);
      inflight ??= fetchToken().finally(() => {
        inflight = null;
      });
      return untilAborted(inflight, signal);
    },
    invalidate: (token) => {
      if (cached?.token === token) cached = null;
    },
    secrets: () => recent,
  };
};
