/**
 * The web console's static files at `/ui/` (issue 13). Nothing here reads a key or touches the
 * store: the page is a shell, and the browser calls the gateway's own JSON API with the key it
 * holds in `sessionStorage`, so a virtual key sees in the console exactly what the API lets it see.
 *
 * The files are built at install (`npm run build` → `dist/ui/`): `index.html` plus assets under a
 * folder named by a hash of their contents (`assets/<version>/…`), so an asset URL never changes
 * meaning and may be cached for a year, while `index.html` is revalidated on every load and picks
 * up a new version right after an upgrade. They are read into memory on the first console request
 * (a few tens of kB), so serving them costs a map lookup and API routes pay nothing.
 *
 * Security headers (CSP with no inline script, nosniff, no referrer, no framing) are set on these
 * responses only: API answers stay as they are.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** What the build writes next to `index.html`. */
interface UiManifest {
  readonly version: string;
  readonly assets: readonly string[];
}

interface LoadedUi {
  readonly version: string;
  readonly index: Buffer;
  readonly assets: ReadonlyMap<string, Buffer>;
}

/**
 * Everything the page may load comes from this origin; scripts only from files (no inline code,
 * no eval), `connect-src 'self'` keeps the key from being sent anywhere but this gateway, and no
 * other site may frame the console (clickjacking of the cancel and delete buttons).
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  // Console URLs carry batch and file ids; they are nobody else's business.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Where the built console is: next to the bundled command line (`dist/bin` → `dist/ui`), next to
 * the compiled server (`dist/http/routes` → `dist/ui`), or, when the server runs from its
 * TypeScript sources (tests), in the repository's `dist/ui`.
 */
export const defaultUiDir = (): string => {
  const here = import.meta.dirname;
  const candidates = [resolve(here, '../ui'), resolve(here, '../../ui'), resolve(here, '../../../dist/ui')];
  return candidates.find((dir) => existsSync(join(dir, 'manifest.json'))) ?? candidates[0]!;
};

async function loadUi(dir: string): Promise<LoadedUi> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as UiManifest;
  const assets = new Map<string, Buffer>();
  for (const name of manifest.assets) assets.set(name, await readFile(join(dir, 'assets', manifest.version, name)));
  return { version: manifest.version, index: await readFile(join(dir, 'index.html')), assets };
}

const secured = (reply: FastifyReply): FastifyReply => reply.headers(SECURITY_HEADERS);

export interface UiRoutesOptions {
  /** The built console (default: `defaultUiDir()`). */
  readonly dir?: string;
}

export const uiRoutes = (app: FastifyInstance, options: UiRoutesOptions = {}): void => {
  const dir = options.dir ?? defaultUiDir();
  let loading: Promise<LoadedUi> | null = null;
  // A failed read is retried on the next request, so building while the server runs fixes it.
  const ui = (): Promise<LoadedUi> => {
    loading ??= loadUi(dir).catch((err: unknown) => {
      loading = null;
      throw err;
    });
    return loading;
  };

  const notBuilt = (reply: FastifyReply, err: unknown): FastifyReply => {
    app.log.warn({ err }, 'console: built files not found');
    return secured(reply)
      .status(503)
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(`The batchgate console is not built (no ${join(dir, 'manifest.json')}); run npm run build.\n`);
  };

  // With `ignoreTrailingSlash` this also answers `/ui`, which is sent to `/ui/` so the page's
  // relative asset URLs resolve under `/ui/`.
  app.get('/ui/', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.endsWith('/')) return secured(reply).redirect('/ui/', 301);
    let loaded: LoadedUi;
    try {
      loaded = await ui();
    } catch (err) {
      return notBuilt(reply, err);
    }
    return secured(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(loaded.index);
  });

  app.get<{ Params: { version: string; '*': string } }>('/ui/assets/:version/*', async (request, reply) => {
    let loaded: LoadedUi;
    try {
      loaded = await ui();
    } catch (err) {
      return notBuilt(reply, err);
    }
    const name = request.params['*'];
    const body = request.params.version === loaded.version ? loaded.assets.get(name) : undefined;
    if (body === undefined) {
      // An old page asking for an asset of a version replaced since: not cacheable, so a reload heals.
      return secured(reply).status(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('Not found\n');
    }
    return secured(reply)
      .type(CONTENT_TYPES[extname(name)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(body);
  });
};
