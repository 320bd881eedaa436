/**
 * How the console is served (issue 13, point 7) without a browser: `/ui` → `/ui/`, index.html
 * revalidated and assets cached for good under a content-hashed folder, a Content-Security-Policy
 * with no inline script, and none of it on API answers. Reads the built `dist/ui` (`npm run build`).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';

const MASTER = 'sk-batchgate-quickstart';
let gw: InProcessGateway;

beforeAll(async () => {
  gw = await startGateway({ yaml: await readFile('examples/quickstart.yaml', 'utf8') });
});
afterAll(async () => {
  await gw?.close();
});

const get = (path: string, init?: RequestInit) => fetch(`${gw.url}${path}`, { redirect: 'manual', ...init });

const assetUrls = (html: string): string[] => [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);

describe('console serving', () => {
  it('redirects /ui to /ui/ so relative asset URLs resolve under it', async () => {
    const res = await get('/ui');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/ui/');
  });

  it('serves index.html without a key, revalidated on every load, with the security headers', async () => {
    const res = await get('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    // Every script is a file: no inline code and no inline event handlers for the CSP to refuse.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
  });

  it('serves assets under a hashed folder, cached as immutable, with their types', async () => {
    const html = await (await get('/ui/')).text();
    const urls = assetUrls(html);
    expect(urls.some((u) => u.endsWith('/main.js'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/style.css'))).toBe(true);
    for (const url of urls) {
      expect(url).toMatch(/^assets\/[0-9a-f]{16}\//);
      const res = await get(`/ui/${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-type')).toMatch(url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    }
    // Modules the entry imports are served from the same folder.
    const version = urls[0]!.split('/')[1]!;
    const page = await get(`/ui/assets/${version}/pages/batches.js`);
    expect(page.status).toBe(200);
  });

  it('answers 404, not cacheable, for an asset of another version or one that does not exist', async () => {
    for (const path of ['/ui/assets/0000000000000000/main.js', '/ui/assets/x/../../../package.json']) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('cache-control') ?? 'no-store').not.toContain('immutable');
    }
    const html = await (await get('/ui/')).text();
    const version = assetUrls(html)[0]!.split('/')[1]!;
    const res = await get(`/ui/assets/${version}/nope.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('adds nothing to API answers: no CSP or console headers on the JSON routes', async () => {
    const res = await get('/v1/batches', { headers: { authorization: `Bearer ${MASTER}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBeNull();
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('cache-control')).toBeNull();
  });

  it('opens no way around the API keys: the console routes serve only its static files', async () => {
    // Without a key the JSON API still says 401, whatever the Referer or path under /ui.
    const res = await get('/v1/batches', { headers: { referer: `${gw.url}/ui/` } });
    expect(res.status).toBe(401);
    // `/ui/v1/…` is the API's `/{provider}/v1/…` form, with the same key check, not a console route.
    expect((await get('/ui/v1/batches')).status).toBe(401);
  });
});
