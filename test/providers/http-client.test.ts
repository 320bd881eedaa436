/**
 * The shared HTTP client at the edges the fakes do not reach on their own: odd bodies, capped
 * error bodies, broken streams, and errors raised by the request body itself.
 */
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { UpstreamError } from '../../src/errors/upstream-error.js';
import { createOpenAIAdapter } from '../../src/providers/openai/adapter.js';
import { createHttpClient, ERROR_BODY_LIMIT_BYTES } from '../../src/providers/shared/http-client.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { deploymentOf, opts, upstreamErrorOf } from './support.js';

const KEY = 'sk-http-client-test-key-0123';

describe('HTTP client against the OpenAI fake', () => {
  let fake: FakeUpstream;
  const adapter = () => createOpenAIAdapter(deploymentOf('dep-http', 'openai', { api_base: fake.baseUrl, api_key: KEY, organization: 'org-123' }), { timeoutMs: 5000 });

  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: KEY });
  });
  afterAll(() => fake?.close());

  it('sends the bearer key and the organization header', async () => {
    const before = fake.requests.length;
    await adapter().probe(opts());
    expect(fake.requests[before]?.headers).toMatchObject({ authorization: `Bearer ${KEY}`, 'openai-organization': 'org-123' });
  });

  it('tolerates a trailing slash in api_base', async () => {
    const slashed = createOpenAIAdapter(deploymentOf('dep-slash', 'openai', { api_base: `${fake.baseUrl}/`, api_key: KEY }), { timeoutMs: 5000 });
    const before = fake.requests.length;
    await slashed.probe(opts());
    expect(fake.requests[before]?.path).toBe('/v1/files');
  });

  it.each([
    ['plain text', 'upstream is sad', 'upstream is sad'],
    ['an HTML page', '<html><title>502 Bad Gateway</title></html>', 'HTTP 502 with an HTML page: 502 Bad Gateway'],
    ['broken JSON', '{"error": {"mess', '{"error": {"mess'],
  ])('reads an error body that is %s', async (_name, body, message) => {
    fake.failNext('retrieveFile', { status: 502, body });
    const error = await upstreamErrorOf(() => adapter().retrieveFile('file-x', opts()));
    expect(error).toMatchObject({ failure: 'http', status: 502, upstreamMessage: message, upstreamType: 'server_error' });
  });

  it('reads at most 64 KB of an error body, then still works', async () => {
    fake.failNext('retrieveFile', { status: 500, body: 'y'.repeat(ERROR_BODY_LIMIT_BYTES * 4) });
    const error = await upstreamErrorOf(() => adapter().retrieveFile('file-x', opts()));
    expect(error.status).toBe(500);
    expect(error.upstreamMessage.length).toBeLessThan(ERROR_BODY_LIMIT_BYTES);
    await adapter().probe(opts());
  });

  it('rethrows an error raised by the upload body itself, untouched', async () => {
    const invalid = new GatewayError('invalid_json_line', 'line 2 is not JSON');
    async function* lines(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"ok":true}\n');
      throw invalid;
    }
    const upload = adapter().uploadFile(
      { filename: 'x.jsonl', purpose: 'batch', body: Readable.from(lines(), { objectMode: false }), bytes: null, label: 'file-TESTLABEL000000000000000', expiresAfter: null },
      opts(),
    );
    await expect(upload).rejects.toBe(invalid);
  });

  it('fails fast when the caller has already given up', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(adapter().probe({ signal: controller.signal })).rejects.toThrow('gone');
  });
});

describe('HTTP client against a misbehaving server', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/not-json') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>welcome</html>');
      } else if (req.url === '/moved') {
        res.writeHead(301, { location: 'https://elsewhere.example/v1/files' }).end('moved');
      } else if (req.url === '/broken-stream') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
        res.write(Buffer.alloc(1000, 1));
        setTimeout(() => res.destroy(), 20);
      } else if (req.url === '/slow-stream') {
        // 8 chunks, 100 ms apart: longer in total than a 300 ms budget, never idle that long.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        let sent = 0;
        const timer = setInterval(() => {
          sent += 1;
          if (sent < 8) res.write(`${sent},`);
          else {
            clearInterval(timer);
            res.end('8');
          }
        }, 100);
        res.on('close', () => clearInterval(timer));
      } else if (req.url === '/slow-headers') {
        const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 1000);
        res.on('close', () => clearTimeout(timer));
      } else if (req.url === '/json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      } else if (req.url === '/stalled-stream') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write('first chunk');
        // …and then nothing, for longer than the timeout.
        setTimeout(() => res.end('late'), 1000);
      } else {
        res.writeHead(204).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (timeoutMs = 5000) => createHttpClient({ deploymentId: 'dep-odd', timeoutMs, secrets: [KEY] });

  it('reports a 2xx body that is not JSON as a malformed answer (502)', async () => {
    const error = await upstreamErrorOf(() => client().json({ method: 'GET', url: `${base}/not-json`, headers: {}, ...opts() }));
    expect(error).toMatchObject({ failure: 'http', status: 502 });
    expect(error.upstreamMessage).toContain('not JSON');
  });

  it('reports a redirect as a malformed answer naming its target, not as a 3xx', async () => {
    const error = await upstreamErrorOf(() => client().json({ method: 'GET', url: `${base}/moved`, headers: {}, ...opts() }));
    expect(error).toMatchObject({ failure: 'http', status: 502 });
    expect(error.upstreamMessage).toContain('HTTP 301 redirect to https://elsewhere.example/v1/files');
  });

  it('reads an empty 204 as a null body', async () => {
    expect((await client().json({ method: 'DELETE', url: `${base}/empty`, headers: {}, ...opts() })).body).toBeNull();
  });

  it('classifies a stream that breaks mid-way as a connection failure', async () => {
    const response = await client().stream({ method: 'GET', url: `${base}/broken-stream`, headers: {}, ...opts() });
    const error = await (async () => {
      for await (const chunk of response.body) void chunk;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ failure: 'connection', deploymentId: 'dep-odd' });
  });

  it('lets a stream take longer than the call budget once its headers arrived', async () => {
    const response = await client(300).stream({ method: 'GET', url: `${base}/slow-stream`, headers: {}, ...opts() });
    let text = '';
    for await (const chunk of response.body) text += String(chunk);
    expect(text).toBe('1,2,3,4,5,6,7,8');
  });

  it('times out a stream that stalls for longer than the timeout', async () => {
    const response = await client(300).stream({ method: 'GET', url: `${base}/stalled-stream`, headers: {}, ...opts() });
    const error = await (async () => {
      for await (const chunk of response.body) void chunk;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ failure: 'timeout' });
  });

  it('stops a stream when the caller aborts', async () => {
    const controller = new AbortController();
    const response = await client().stream({ method: 'GET', url: `${base}/slow-stream`, headers: {}, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client left')), 50);
    const error = await (async () => {
      for await (const chunk of response.body) void chunk;
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'client left' });
  });

  it('times out a call whose answer does not come within the budget, as a timeout', async () => {
    const error = await upstreamErrorOf(() => client(200).json({ method: 'GET', url: `${base}/slow-headers`, headers: {}, ...opts() }));
    expect(error).toMatchObject({ failure: 'timeout', deploymentId: 'dep-odd' });
  });

  it('gives the caller’s own reason when the caller aborts a call in flight', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('batch cancelled')), 50);
    await expect(client().json({ method: 'GET', url: `${base}/slow-headers`, headers: {}, signal: controller.signal })).rejects.toThrow('batch cancelled');
  });

  it('leaves no listener on a long-lived caller signal once its calls are done', async () => {
    // The executor sends every line of a chunk under one signal: a listener left per call would
    // pile up by the thousand (and keep each call's state alive).
    const controller = new AbortController();
    const http = client(200);
    for (let i = 0; i < 20; i++) await http.json({ method: 'GET', url: `${base}/json`, headers: {}, signal: controller.signal });
    await upstreamErrorOf(() => http.json({ method: 'GET', url: `${base}/slow-headers`, headers: {}, signal: controller.signal }));
    const response = await http.stream({ method: 'GET', url: `${base}/slow-stream`, headers: {}, signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort').length).toBe(1);
    for await (const chunk of response.body) void chunk;
    await new Promise((r) => setImmediate(r));
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });
});
