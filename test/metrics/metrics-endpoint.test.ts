/**
 * `GET /metrics` (issue 8 point 7), against an in-process gateway and a fake upstream: the answer
 * parses as Prometheus text; HTTP and upstream counters move with the test traffic, labelled by
 * route and operation patterns, never by ids; the port the worker will call shows up too; the
 * master key guards it (401 without a key, 403 for a virtual key) unless it is configured public;
 * and with metrics off it is a 404 in the OpenAI envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { bodyOf, expectError, idOf, jsonl, upstreamIdsOf, WireClient } from '../conformance/wire-client.js';
import { labelValues, parsePrometheusText, sumOf, type Family } from './prom-text.js';

const MASTER_KEY = 'sk-master-metrics-test';
const UPSTREAM_KEY = 'sk-upstream-metrics-test';

/** A gateway over `fake` with the master key; `general` adds lines under general_settings, `extra` sections. */
const gatewayYaml = (fake: FakeUpstream, extra: string, general = ''): string => `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: ${UPSTREAM_KEY}
    model_info:
      id: openai-a
general_settings:
  master_key: ${MASTER_KEY}
${general}${extra}`;

let fake: FakeUpstream;
let gw: InProcessGateway;
let api: WireClient;

beforeAll(async () => {
  fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY, autoProgress: false });
  gw = await startGateway({ yaml: gatewayYaml(fake, 'litellm_settings:\n  callbacks: ["prometheus"]\n') });
  api = new WireClient(gw.url);
});

afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const scrape = async (client: WireClient = api, key: string | undefined = MASTER_KEY): Promise<Map<string, Family>> => {
  const reply = await client.call('GET', '/metrics', key === undefined ? {} : { key });
  expect(reply.status, reply.text).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(reply.text);
};

const httpCount = (families: Map<string, Family>, labels: Record<string, string>): number =>
  sumOf(families, 'batchgate_http_requests_total', labels);
const upstreamCount = (families: Map<string, Family>, labels: Record<string, string>): number =>
  sumOf(families, 'batchgate_upstream_requests_total', labels);

describe('GET /metrics', () => {
  it('parses as Prometheus text and declares every family the issue asks for', async () => {
    const families = await scrape();
    const types = Object.fromEntries([...families.values()].map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      batchgate_http_requests_total: 'counter',
      batchgate_http_request_duration_seconds: 'histogram',
      batchgate_upstream_requests_total: 'counter',
      batchgate_upstream_request_duration_seconds: 'histogram',
      batchgate_batches: 'gauge',
      batchgate_batch_requests_total: 'counter',
      batchgate_batch_tokens_total: 'counter',
      batchgate_spend_usd_total: 'counter',
      batchgate_worker_lag_seconds: 'gauge',
      batchgate_webhook_outbox_depth: 'gauge',
      process_cpu_seconds_total: 'counter',
    });
    for (const family of families.values()) expect(family.help, family.name).not.toBe('');
  });

  it('counts HTTP requests and upstream calls by pattern, never by id', async () => {
    const before = await scrape();
    const fileId = idOf(await api.upload('/v1/files', { key: MASTER_KEY, content: jsonl('gpt-4o-mini', 2) }));
    for (let i = 0; i < 3; i++) expect((await api.call('GET', `/v1/files/${fileId}`, { key: MASTER_KEY })).status).toBe(200);
    expect((await api.call('GET', `/files/${fileId}/content`, { key: MASTER_KEY })).status).toBe(200);
    const batchId = idOf(
      await api.call('POST', '/v1/batches', {
        key: MASTER_KEY,
        json: { input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' },
      }),
    );
    expect((await api.call('GET', `/openai/v1/batches/${batchId}`, { key: MASTER_KEY })).status).toBe(200);
    expect((await api.call('GET', '/v1/files/file-doesnotexist', { key: MASTER_KEY })).status).toBe(404);
    expect((await api.call('GET', `/v1/no/such/route/${fileId}`, { key: MASTER_KEY })).status).toBe(404);
    const after = await scrape();

    const delta = (labels: Record<string, string>): number => httpCount(after, labels) - httpCount(before, labels);
    expect(delta({ method: 'POST', route: '/v1/files', status: '200' })).toBe(1);
    expect(delta({ method: 'GET', route: '/v1/files/:file_id', status: '200' })).toBe(3);
    expect(delta({ method: 'GET', route: '/v1/files/:file_id', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: '/files/:file_id/content', status: '200' })).toBe(1);
    expect(delta({ method: 'POST', route: '/v1/batches', status: '200' })).toBe(1);
    expect(delta({ method: 'GET', route: '/:provider/v1/batches/:batch_id', status: '200' })).toBe(1);
    expect(delta({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // The latency histogram counts the same requests.
    expect(
      sumOf(after, 'batchgate_http_request_duration_seconds_count', { route: '/v1/files/:file_id', status: '200' }) -
        sumOf(before, 'batchgate_http_request_duration_seconds_count', { route: '/v1/files/:file_id', status: '200' }),
    ).toBe(3);

    const upstream = (labels: Record<string, string>): number => upstreamCount(after, labels) - upstreamCount(before, labels);
    expect(upstream({ deployment: 'openai-a', model_group: 'gpt-4o-mini', operation: 'POST /v1/files', outcome: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(upstream({ deployment: 'openai-a', operation: 'POST /v1/batches', outcome: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(upstream({ deployment: 'openai-a', outcome: '2xx' })).toBeGreaterThanOrEqual(2);
    expect(
      sumOf(after, 'batchgate_upstream_request_duration_seconds_count', { operation: 'POST /v1/files' }),
    ).toBe(upstreamCount(after, { operation: 'POST /v1/files' }));

    // No gateway id, upstream id or raw URL became a label value.
    const values = labelValues(after);
    const ids = [fileId, batchId, 'file-doesnotexist', ...upstreamIdsOf([fake])];
    expect(values.filter((v) => ids.some((id) => v.includes(id)))).toEqual([]);
    expect(values.filter((v) => v.includes('/no/such/route'))).toEqual([]);
  });

  it('names an upstream failure by its status class, and an unreachable upstream as connection', async () => {
    const before = await scrape();
    fake.failNext('uploadFile', { status: 503 });
    expect((await api.upload('/v1/files', { key: MASTER_KEY, content: jsonl('gpt-4o-mini', 1) })).status).toBeGreaterThanOrEqual(500);
    const after = await scrape();
    expect(
      upstreamCount(after, { operation: 'POST /v1/files', outcome: '5xx' }) - upstreamCount(before, { operation: 'POST /v1/files', outcome: '5xx' }),
    ).toBe(1);

    const deadUpstream = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
    await deadUpstream.down('refuse');
    const dead = await startGateway({
      yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${deadUpstream.baseUrl}", api_key: ${UPSTREAM_KEY} }
    model_info: { id: dead-a }
general_settings: { metrics: true, metrics_public: true }
`,
    });
    try {
      const client = new WireClient(dead.url);
      expect((await client.upload('/v1/files', { content: jsonl('gpt-4o-mini', 1) })).status).toBeGreaterThanOrEqual(500);
      const families = await scrape(client, undefined);
      expect(upstreamCount(families, { deployment: 'dead-a', operation: 'POST /v1/files', outcome: 'connection' })).toBe(1);
    } finally {
      await dead.close();
      await deadUpstream.close();
    }
  });

  it('shows what the worker reports through the port on the Gateway object', async () => {
    const { metrics } = gw.gateway;
    metrics.setWorkerLag(12.5);
    metrics.setOutboxDepth(3);
    metrics.batchCounts([
      { deploymentId: 'openai-a', group: 'gpt-4o-mini', status: 'in_progress', count: 4 },
      { deploymentId: 'openai-a', group: 'gpt-4o-mini', status: 'completed', count: 9 },
    ]);
    metrics.requestsFinished('gpt-4o-mini', 'team-a', 98, 2);
    metrics.tokens('gpt-4o-mini', 'team-a', 1000, 250);
    metrics.spend('gpt-4o-mini', null, 0.0125);
    // Nonsense is dropped, never thrown.
    metrics.spend('gpt-4o-mini', null, -1);
    metrics.tokens('gpt-4o-mini', null, Number.NaN, Infinity);
    let families = await scrape();
    expect(sumOf(families, 'batchgate_worker_lag_seconds')).toBe(12.5);
    expect(sumOf(families, 'batchgate_webhook_outbox_depth')).toBe(3);
    expect(sumOf(families, 'batchgate_batches', { deployment: 'openai-a', status: 'in_progress' })).toBe(4);
    expect(sumOf(families, 'batchgate_batch_requests_total', { model_group: 'gpt-4o-mini', team: 'team-a', outcome: 'completed' })).toBe(98);
    expect(sumOf(families, 'batchgate_batch_requests_total', { team: 'team-a', outcome: 'failed' })).toBe(2);
    expect(sumOf(families, 'batchgate_batch_tokens_total', { team: 'team-a', type: 'output' })).toBe(250);
    expect(sumOf(families, 'batchgate_spend_usd_total', { model_group: 'gpt-4o-mini', team: '' })).toBeCloseTo(0.0125, 10);

    // A new snapshot replaces the gauge: a status that emptied does not keep its count.
    metrics.batchCounts([{ deploymentId: 'openai-a', group: 'gpt-4o-mini', status: 'completed', count: 13 }]);
    families = await scrape();
    expect(sumOf(families, 'batchgate_batches', { status: 'in_progress' })).toBe(0);
    expect(sumOf(families, 'batchgate_batches', { status: 'completed' })).toBe(13);
  });
});

describe('who may read /metrics', () => {
  it('needs the master key: 401 without a key, 403 for a virtual key', async () => {
    expectError(await api.call('GET', '/metrics'), 401, { message: /Missing API key/, type: 'authentication_error', param: null, code: 'invalid_api_key' });
    expectError(await api.call('GET', '/metrics', { key: 'sk-not-a-key' }), 401, { message: /Invalid API key/, type: 'authentication_error', param: null, code: 'invalid_api_key' });
    const generated = bodyOf(await api.call('POST', '/key/generate', { key: MASTER_KEY, json: {} }));
    const virtualKey = String(generated.key);
    expectError(await api.call('GET', '/metrics', { key: virtualKey }), 403, {
      message: /Only the master key may read metrics/,
      type: 'permission_error',
      param: null,
      code: 'admin_only',
    });
  });

  it('is open when configured public', async () => {
    const open = await startGateway({ yaml: gatewayYaml(fake, '', '  metrics: true\n  metrics_public: true\n') });
    try {
      const client = new WireClient(open.url);
      const families = await scrape(client, undefined);
      expect(families.has('batchgate_http_requests_total')).toBe(true);
      // Everything else still needs a key.
      expect((await client.call('GET', '/v1/files')).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('is a 404 in the OpenAI envelope when metrics are off', async () => {
    const off = await startGateway({ yaml: gatewayYaml(fake, '') });
    try {
      const client = new WireClient(off.url);
      for (const key of [MASTER_KEY, undefined]) {
        expectError(await client.call('GET', '/metrics', key === undefined ? {} : { key }), 404, {
          message: 'Unknown route: GET /metrics',
          type: 'invalid_request_error',
          param: null,
          code: 'not_found',
        });
      }
      // The port is still there for the worker, as a no-op.
      expect(() => off.gateway.metrics.setWorkerLag(1)).not.toThrow();
    } finally {
      await off.close();
    }
  });
});
