/**
 * The `Metrics` port over prom-client, in a registry of its own (never prom-client's global one,
 * so several gateways in one process — tests — do not share or clash). Besides the port it counts
 * HTTP requests for `http/` and renders the text exposition format for `GET /metrics`.
 *
 * Every method swallows what prom-client would throw (a counter cannot go down) and ignores
 * values that are not finite: reporting never fails the work it reports on.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchStatus } from '../contracts/openai.js';
import type { BatchCount, Metrics, UpstreamOutcome } from '../domain/ports/metrics.js';

/** HTTP requests and upstream calls: from a quick retrieve to a 200 MB upload or a 10-minute timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** A key without a team is the empty label value, which Prometheus reads as "no such label". */
const teamLabel = (team: string | null): string => team ?? '';

const countable = (n: number): boolean => Number.isFinite(n) && n > 0;
const settable = (n: number): boolean => Number.isFinite(n) && n >= 0;

const guard = (report: () => void): void => {
  try {
    report();
  } catch {
    // A metric that cannot be recorded is dropped; the work it describes goes on.
  }
};

export interface Scrape {
  readonly contentType: string;
  readonly text: string;
}

export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'batchgate_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'batchgate_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly upstreamCalls = new Counter({
    name: 'batchgate_upstream_requests_total',
    help: 'Calls to upstream deployments, by deployment, model group, operation and outcome (status class, timeout, connection, malformed, aborted).',
    labelNames: ['deployment', 'model_group', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly upstreamDuration = new Histogram({
    name: 'batchgate_upstream_request_duration_seconds',
    help: 'Duration of upstream calls (until the JSON body was read; for streamed content, until its headers).',
    labelNames: ['deployment', 'model_group', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly batches = new Gauge({
    name: 'batchgate_batches',
    help: 'Batches known to the gateway, by deployment, model group and status.',
    labelNames: ['deployment', 'model_group', 'status'] as const,
    registers: [this.registry],
  });

  private readonly batchRequests = new Counter({
    name: 'batchgate_batch_requests_total',
    help: 'Requests (lines) of finished batches, by model group, team and outcome (completed, failed).',
    labelNames: ['model_group', 'team', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly batchTokens = new Counter({
    name: 'batchgate_batch_tokens_total',
    help: 'Tokens used by finished batches, by model group, team and type (input, output).',
    labelNames: ['model_group', 'team', 'type'] as const,
    registers: [this.registry],
  });

  private readonly spendUsd = new Counter({
    name: 'batchgate_spend_usd_total',
    help: 'Cost booked for finished batches in US dollars, by model group and team.',
    labelNames: ['model_group', 'team'] as const,
    registers: [this.registry],
  });

  private readonly workerLag = new Gauge({
    name: 'batchgate_worker_lag_seconds',
    help: 'How far the worker is behind: age of the oldest overdue batch poll, in seconds.',
    registers: [this.registry],
  });

  private readonly outboxDepth = new Gauge({
    name: 'batchgate_webhook_outbox_depth',
    help: 'Webhook deliveries waiting in the outbox.',
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    // Node's own: CPU, memory, event loop lag, GC, handles (`process_*`, `nodejs_*`).
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** One answered HTTP request; `route` is the route pattern (`/v1/files/:file_id`), never the URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    guard(() => {
      const labels = { method, route, status: String(status) };
      this.httpRequests.inc(labels);
      if (settable(seconds)) this.httpDuration.observe(labels, seconds);
    });
  }

  upstreamCall(deploymentId: string, group: string, operation: string, outcome: UpstreamOutcome, seconds: number): void {
    guard(() => {
      const labels = { deployment: deploymentId, model_group: group, operation, outcome };
      this.upstreamCalls.inc(labels);
      if (settable(seconds)) this.upstreamDuration.observe(labels, seconds);
    });
  }

  batchStatus(deploymentId: string, group: string, status: BatchStatus, count: number): void {
    if (!settable(count)) return;
    guard(() => this.batches.set({ deployment: deploymentId, model_group: group, status }, count));
  }

  batchCounts(counts: readonly BatchCount[]): void {
    guard(() => {
      this.batches.reset();
      for (const row of counts) this.batchStatus(row.deploymentId, row.group, row.status, row.count);
    });
  }

  requestsFinished(group: string, team: string | null, completed: number, failed: number): void {
    guard(() => {
      const base = { model_group: group, team: teamLabel(team) };
      if (countable(completed)) this.batchRequests.inc({ ...base, outcome: 'completed' }, completed);
      if (countable(failed)) this.batchRequests.inc({ ...base, outcome: 'failed' }, failed);
    });
  }

  tokens(group: string, team: string | null, input: number, output: number): void {
    guard(() => {
      const base = { model_group: group, team: teamLabel(team) };
      if (countable(input)) this.batchTokens.inc({ ...base, type: 'input' }, input);
      if (countable(output)) this.batchTokens.inc({ ...base, type: 'output' }, output);
    });
  }

  spend(group: string, team: string | null, usd: number): void {
    if (!countable(usd)) return;
    guard(() => this.spendUsd.inc({ model_group: group, team: teamLabel(team) }, usd));
  }

  setWorkerLag(seconds: number): void {
    if (Number.isFinite(seconds)) guard(() => this.workerLag.set(Math.max(0, seconds)));
  }

  setOutboxDepth(n: number): void {
    if (settable(n)) guard(() => this.outboxDepth.set(n));
  }

  /** The text exposition format (what `GET /metrics` answers). */
  async scrape(): Promise<Scrape> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
