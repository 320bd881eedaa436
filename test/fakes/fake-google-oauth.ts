/**
 * A fake Google OAuth2 token endpoint for tests (`reference/wire.md` §4.1): real HTTP on
 * 127.0.0.1 (ephemeral port). It owns a test service account (an RSA key pair made here) and
 * **verifies** each JWT-bearer assertion: RS256 signature with the account's public key, `kid`,
 * `iss`, `aud` (= its own token URL), `scope`, `iat`/`exp`. It counts the tokens it issued, can
 * expire them early (the GCS and Vertex fakes then answer 401) and inject faults. Also exports
 * the small HTTP helpers the GCS and Vertex fakes share.
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export type GoogleFault = { kind: 'status'; status: number; body?: unknown } | { kind: 'reset' };

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.headersSent || res.destroyed) return;
  const text = body === null ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text === '' ? {} : { 'content-type': 'application/json; charset=UTF-8' }), 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

/** Google's error envelope, as Vertex and GCS send it. */
export const googleError = (res: ServerResponse, status: number, message: string, grpcStatus?: string): void =>
  sendJson(res, status, { error: { code: status, message, ...(grpcStatus === undefined ? {} : { status: grpcStatus }) } });

export const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export const bearerOf = (req: IncomingMessage): string | null => {
  const header = req.headers['authorization'];
  const match = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header) : null;
  return match?.[1] ?? null;
};

/** Starts `handler` on 127.0.0.1:0; an exception becomes a 500 (or a reset once headers went). */
export const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> => {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) googleError(res, 500, `fake failure: ${String(error)}`, 'INTERNAL');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

export const closeServer = async (server: Server | null): Promise<void> => {
  if (server === null) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

export interface FakeGoogleOAuthOptions {
  readonly clientEmail?: string;
  readonly projectId?: string;
  /** `expires_in` of issued tokens (Google: 3599). */
  readonly tokenLifetimeSeconds?: number;
  /** Milliseconds since the epoch; share the adapter's fake clock to test expiry. */
  readonly now?: () => number;
}

export class FakeGoogleOAuth {
  readonly clientEmail: string;
  readonly projectId: string;
  readonly privateKeyId = randomBytes(20).toString('hex');
  readonly privateKeyPem: string;
  readonly #publicKey: KeyObject;
  readonly #now: () => number;
  tokenLifetimeSeconds: number;
  /** Issued token → its expiry (ms). */
  readonly #issued = new Map<string, number>();
  readonly #faults: GoogleFault[] = [];
  /** Why each refused assertion was refused, in order. */
  readonly refusals: string[] = [];
  #server: Server | null = null;
  url = '';

  constructor(options: FakeGoogleOAuthOptions = {}) {
    this.clientEmail = options.clientEmail ?? 'batchgate-test@fake-project.iam.gserviceaccount.com';
    this.projectId = options.projectId ?? 'fake-project';
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
    this.#now = options.now ?? Date.now;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.#publicKey = publicKey;
  }

  /** The token endpoint, which the credentials' `token_uri` names. */
  get tokenUri(): string {
    return `${this.url}/token`;
  }

  get tokensIssued(): number {
    return this.#issued.size;
  }

  /** Every token issued, oldest first. */
  get tokens(): string[] {
    return [...this.#issued.keys()];
  }

  /** A service-account key file's content, pointing at this fake. */
  credentials(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      type: 'service_account',
      project_id: this.projectId,
      private_key_id: this.privateKeyId,
      private_key: this.privateKeyPem,
      client_email: this.clientEmail,
      client_id: '100000000000000000001',
      token_uri: this.tokenUri,
      ...overrides,
    };
  }

  /** Whether `token` was issued here and has not expired. */
  isValid(token: string): boolean {
    const expiry = this.#issued.get(token);
    return expiry !== undefined && this.#now() < expiry;
  }

  /** Every token issued so far stops working now (revoked, or expired earlier than it said). */
  expireAll(): void {
    for (const token of this.#issued.keys()) this.#issued.set(token, 0);
  }

  failNext(fault: GoogleFault): void {
    this.#faults.push(fault);
  }

  async start(): Promise<this> {
    const { server, url } = await listen((req, res) => this.#handle(req, res));
    this.#server = server;
    this.url = url;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    await closeServer(server);
  }

  #refuse(res: ServerResponse, why: string): void {
    this.refusals.push(why);
    sendJson(res, 400, { error: 'invalid_grant', error_description: why });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const fault = this.#faults.shift();
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'status') return sendJson(res, fault.status, fault.body ?? { error: 'internal_failure', error_description: 'fake fault' });
    if (req.method !== 'POST' || new URL(req.url ?? '/', this.url).pathname !== '/token') return googleError(res, 404, 'Not Found');
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return this.#refuse(res, 'not form-encoded');
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.#refuse(res, 'unsupported grant_type');
    const why = this.#check(form.get('assertion') ?? '');
    if (why !== null) return this.#refuse(res, why);
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.#issued.set(token, this.#now() + this.tokenLifetimeSeconds * 1000);
    sendJson(res, 200, { access_token: token, expires_in: this.tokenLifetimeSeconds, token_type: 'Bearer' });
  }

  /** Why the assertion is refused, or null when it is good. */
  #check(assertion: string): string | null {
    const [h, c, s] = assertion.split('.');
    if (h === undefined || c === undefined || s === undefined) return 'not a JWT';
    const decode = (part: string): Record<string, unknown> | null => {
      try {
        return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        return null;
      }
    };
    const header = decode(h);
    const claims = decode(c);
    if (header === null || claims === null) return 'JWT parts are not JSON';
    if (header['alg'] !== 'RS256') return `alg ${String(header['alg'])}`;
    if (header['kid'] !== this.privateKeyId) return 'kid is not the key id';
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${c}`), this.#publicKey, Buffer.from(s, 'base64url'))) return 'Invalid JWT Signature.';
    if (claims['iss'] !== this.clientEmail) return 'iss is not the service account';
    if (claims['aud'] !== this.tokenUri) return 'aud is not the token endpoint';
    if (typeof claims['scope'] !== 'string' || !claims['scope'].split(' ').includes(CLOUD_PLATFORM_SCOPE)) return 'scope lacks cloud-platform';
    const iat = claims['iat'];
    const exp = claims['exp'];
    const now = Math.floor(this.#now() / 1000);
    if (typeof iat !== 'number' || typeof exp !== 'number') return 'iat/exp missing';
    if (exp <= now || iat > now + 60) return 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe';
    if (exp - iat > 3600) return 'exp more than an hour after iat';
    return null;
  }
}
