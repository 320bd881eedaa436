/**
 * The HTTP client's observer (what `batchgate_upstream_requests_total` counts): called once per
 * call with the deployment, a bounded operation name and the outcome, for successes, upstream
 * errors, timeouts, refused connections and the caller's own abort; and the operation names mask
 * every id, whatever the upstream's URL shape.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationOf, type UpstreamCallReport } from '../../src/providers/shared/call-report.js';
import { createHttpClient } from '../../src/providers/shared/http-client.js';

describe('operationOf', () => {
  it.each([
    ['POST', 'https://api.openai.com/v1/files', 'POST /v1/files'],
    ['GET', 'https://api.openai.com/v1/files/file-abc123XYZ/content', 'GET /v1/files/{id}/content'],
    ['POST', 'https://r.openai.azure.com/openai/batches/batch_6f1e2d3c-aaaa-bbbb/cancel?api-version=2025-04-01-preview', 'POST /openai/batches/{id}/cancel'],
    ['GET', 'https://r.openai.azure.com/openai/v1/batches/batch_x1?api-version=preview', 'GET /openai/v1/batches/{id}'],
    ['GET', 'https://api.openai.com/v1/batches/batchabcdefghijklmnopqrstuvwxyz', 'GET /v1/batches/{id}'],
    ['GET', 'https://eu-aiplatform.googleapis.com/v1beta1/projects/my-proj-42/locations/europe-west4/batchPredictionJobs/123456', 'GET /v1beta1/projects/{id}/locations/{id}/batchPredictionJobs/{id}'],
    ['GET', 'https://bedrock.eu-west-1.amazonaws.com/model-invocation-job/arn%3Aaws%3Abedrock%3Ajob%2Fabc', 'GET /model-invocation-job/{id}'],
    ['GET', 'not a url', 'GET'],
  ])('%s %s → %s', (method, url, expected) => {
    expect(operationOf(method, url)).toBe(expected);
  });
});

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"file-1"}');
    else if (req.url === '/bad-json') res.writeHead(200, { 'content-type': 'application/json' }).end('not json');
    else if (req.url === '/missing/file-zz9') res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no"}}');
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('{}'), 2000).unref();
    else res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const observedClient = (timeoutMs = 1000) => {
  const reports: UpstreamCallReport[] = [];
  const client = createHttpClient({ deploymentId: 'dep-1', timeoutMs, secrets: [], observer: (r) => reports.push(r) });
  return { client, reports };
};

describe('the observer of the HTTP client', () => {
  it('reports each call once with its outcome', async () => {
    const { client, reports } = observedClient(300);
    const get = (path: string, signal = AbortSignal.timeout(5000)) => client.json({ method: 'GET', url: `${base}${path}`, headers: {}, signal });
    await get('/ok');
    await expect(get('/missing/file-zz9')).rejects.toThrow();
    await expect(get('/bad-json')).rejects.toThrow();
    await expect(get('/slow')).rejects.toThrow();
    await expect(client.json({ method: 'GET', url: 'http://127.0.0.1:1/v1/files', headers: {}, signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    const aborted = new AbortController();
    const pending = get('/slow', aborted.signal);
    aborted.abort(new Error('client left'));
    await expect(pending).rejects.toThrow('client left');
    await client.stream({ method: 'GET', url: `${base}/ok`, headers: {}, signal: AbortSignal.timeout(5000), operation: 'download' }).then((r) => r.body.resume());

    expect(reports.map((r) => [r.deploymentId, r.operation, r.outcome])).toEqual([
      ['dep-1', 'GET /ok', '2xx'],
      ['dep-1', 'GET /missing/{id}', '4xx'],
      ['dep-1', 'GET /bad-json', 'malformed'],
      ['dep-1', 'GET /slow', 'timeout'],
      ['dep-1', 'GET /v1/files', 'connection'],
      ['dep-1', 'GET /slow', 'aborted'],
      ['dep-1', 'download', '2xx'],
    ]);
    for (const report of reports) expect(report.seconds).toBeGreaterThanOrEqual(0);
    expect(reports[3]?.seconds).toBeGreaterThanOrEqual(0.25);
  });

  it('a throwing observer never fails the call', async () => {
    const client = createHttpClient({
      deploymentId: 'dep-1',
      timeoutMs: 1000,
      secrets: [],
      observer: () => {
        throw new Error('metrics broke');
      },
    });
    const reply = await client.json({ method: 'GET', url: `${base}/ok`, headers: {}, signal: AbortSignal.timeout(5000) });
    expect(reply.body).toEqual({ id: 'file-1' });
  });
});
