/**
 * SigV4 signing with AWS's own signer (`@smithy/signature-v4`), for the two services a Bedrock
 * deployment talks to (`reference/wire.md` §5.4):
 *
 * - `bedrock` (control plane): the path is URI-encoded once more for the canonical request, as
 *   for every AWS service but S3 (a job ARN in the path is already percent-encoded);
 * - `s3`: the path is used as sent, and `x-amz-content-sha256` carries the payload's SHA-256.
 *
 * The caller builds the path (already percent-encoded) and the query (decoded values); the URL
 * actually sent is built here from the same pieces, so what is signed is what goes on the wire.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Clock } from '../../domain/ports/clock.js';

export type AwsService = 'bedrock' | 's3';

export interface SignInput {
  readonly method: string;
  /** `https://host[:port]` plus any base path of an endpoint override, no trailing slash. */
  readonly origin: string;
  /** Percent-encoded path starting with '/'. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface SignedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** RFC 3986 encoding, as SigV4 canonicalises (encodeURIComponent leaves `!'()*` alone). */
export const uriEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** An S3 key as a path: each segment encoded, the slashes kept. */
export const encodeKeyPath = (key: string): string => key.split('/').map(uriEncode).join('/');

const queryString = (query: Readonly<Record<string, string>>): string => {
  const pairs = Object.entries(query).map(([k, v]) => (v === '' ? uriEncode(k) : `${uriEncode(k)}=${uriEncode(v)}`));
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
};

export type Signer = (input: SignInput) => Promise<SignedRequest>;

/**
 * AWS's signer is loaded at the first request, not at start-up: a gateway with no Bedrock traffic
 * (or one starting up) does not pay for loading it.
 */
const loadSigner = async (service: AwsService, region: string, credentials: AwsCredentialIdentityProvider) => {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]);
  return new SignatureV4({
    service,
    region,
    credentials,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
    applyChecksum: service === 's3',
  });
};

export const createSigner = (service: AwsService, region: string, credentials: AwsCredentialIdentityProvider, clock: Clock): Signer => {
  let loading: ReturnType<typeof loadSigner> | null = null;
  return async (input) => {
    loading ??= loadSigner(service, region, credentials);
    const signer = await loading;
    const origin = new URL(input.origin);
    // An endpoint override may carry a base path (a proxy in front of the API); it is part of the signed path.
    const basePath = origin.pathname === '/' ? '' : origin.pathname.replace(/\/+$/, '');
    const path = `${basePath}${input.path}`;
    const query = input.query ?? {};
    const signed = await signer.sign(
      {
        method: input.method,
        protocol: origin.protocol,
        hostname: origin.hostname,
        ...(origin.port === '' ? {} : { port: Number(origin.port) }),
        path,
        query: { ...query },
        headers: { ...input.headers, host: origin.host },
        ...(input.body === undefined ? {} : { body: input.body }),
      },
      { signingDate: new Date(clock.now()) },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = String(value);
    return { url: `${origin.protocol}//${origin.host}${path}${queryString(query)}`, headers };
  };
};
