/**
 * One line of a gateway-executed batch, from its request to its output line. The deployment is
 * picked per attempt among the batch's executing deployments (weighted, healthy ones first), so a
 * managed file spreads its lines and a failing deployment is routed around. 429, 5xx, resets and
 * timeouts are retried with exponential backoff (Retry-After honoured), within bounds; any other
 * answer is final. Only the process's shutdown aborts a request: a cancel lets it finish.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../errors/gateway-error.js';
import { UpstreamError } from '../../errors/upstream-error.js';
import { batchCostUsd } from '../cost/batch-cost.js';
import { batchPricesFor } from '../cost/batch-prices.js';
import { usageOfBody } from '../cost/output-usage.js';
import type { Deployment } from '../deployment.js';
import type { DeploymentHealth } from '../deployments/deployment-health.js';
import { placementOrder, type Random } from '../deployments/placement.js';
import { rewritesModel } from '../files/rewrite-lines.js';
import { estimateInputTokens } from '../limits/token-estimate.js';
import type { ResultOutcome } from '../ports/executions.js';
import type { InferenceResponse, ProviderRegistry } from '../ports/provider-adapter.js';
import type { DeploymentLimiter } from './deployment-limiter.js';
import { answeredLine, newRequestLineId, unansweredLine } from './output-line.js';

export interface SendSettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Ceiling of one wait, Retry-After included. */
  readonly retryMaxWaitMs: number;
  /** First backoff; doubles with each retry. */
  readonly retryBaseMs: number;
}

export interface SendDeps {
  readonly registry: ProviderRegistry;
  readonly health: DeploymentHealth;
  readonly random: Random;
  readonly limiter: DeploymentLimiter;
  readonly settings: SendSettings;
  /** Sent as `x-batchgate-worker`, so an upstream's logs tell which process sent a request. */
  readonly workerId: string;
}

export interface LineRequest {
  readonly customId: string;
  readonly url: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface LineResult {
  readonly outcome: ResultOutcome;
  readonly line: string;
  readonly costUsd: number;
  readonly deploymentId: string | null;
  /** How many times the request was sent. */
  readonly attempts: number;
}

/** Statuses worth another attempt: the upstream is busy or broken, not the request. */
const retryableStatus = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

export async function sendLine(deps: SendDeps, candidates: readonly Deployment[], request: LineRequest, signal: AbortSignal): Promise<LineResult> {
  const tokens = estimateInputTokens(request.body);
  const id = newRequestLineId();
  let last: { response: InferenceResponse; deployment: Deployment } | { failure: string; deployment: Deployment } | null = null;
  for (let attempt = 0; attempt <= deps.settings.maxRetries; attempt++) {
    if (attempt > 0) await sleep(backoffMs(deps, attempt, last), undefined, { signal });
    const deployment = pick(deps, candidates, attempt, last?.deployment ?? null);
    const body = rewritesModel(deployment.upstreamModel) ? { ...request.body, model: deployment.upstreamModel } : request.body;
    const release = await deps.limiter.acquire(deployment, tokens, signal);
    let response: InferenceResponse;
    try {
      response = await deps.registry
        .adapterFor(deployment)
        .sendRequest({ url: request.url, body, headers: { 'x-batchgate-worker': deps.workerId } }, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof GatewayError) {
        return { outcome: 'error', line: unansweredLine(request.customId, err.code, err.message, id), costUsd: 0, deploymentId: deployment.id, attempts: attempt + 1 };
      }
      if (!(err instanceof UpstreamError)) throw err;
      deps.health.recordFailure(deployment.id, err.message);
      last = { failure: err.failure === 'timeout' ? 'The request timed out.' : 'The connection to the upstream failed.', deployment };
      continue;
    } finally {
      release();
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      deps.health.recordSuccess(deployment.id);
      return { outcome: 'ok', line: answered(request, response, id), costUsd: costOf(deployment, response.body), deploymentId: deployment.id, attempts: attempt + 1 };
    }
    if (!retryableStatus(response.statusCode)) {
      return { outcome: 'error', line: answered(request, response, id), costUsd: 0, deploymentId: deployment.id, attempts: attempt + 1 };
    }
    if (response.statusCode !== 429) deps.health.recordFailure(deployment.id, `HTTP ${response.statusCode}`);
    last = { response, deployment };
  }
  const attempts = deps.settings.maxRetries + 1;
  if (last !== null && 'response' in last) {
    return { outcome: 'error', line: answered(request, last.response, id), costUsd: 0, deploymentId: last.deployment.id, attempts };
  }
  const message = `${last?.failure ?? 'The request failed.'} Gave up after ${attempts} attempt(s).`;
  return { outcome: 'error', line: unansweredLine(request.customId, 'request_failed', message, id), costUsd: 0, deploymentId: last?.deployment.id ?? null, attempts };
}

const answered = (request: LineRequest, response: InferenceResponse, id: string): string =>
  answeredLine({ customId: request.customId, statusCode: response.statusCode, requestId: response.requestId ?? `req_${id.slice(10, 42)}`, body: response.body }, id);

/** A different deployment than the one that just failed, when there is one. */
function pick(deps: SendDeps, candidates: readonly Deployment[], attempt: number, failed: Deployment | null): Deployment {
  const order = placementOrder(candidates, deps.health, deps.random);
  const others = failed === null || attempt === 0 ? order : order.filter((d) => d.id !== failed.id);
  const chosen = others[0] ?? order[0];
  if (chosen === undefined) throw new GatewayError('no_deployment', 'No deployment can execute this batch.');
  return chosen;
}

function backoffMs(deps: SendDeps, attempt: number, last: { response: InferenceResponse } | object | null): number {
  const { retryBaseMs, retryMaxWaitMs } = deps.settings;
  const retryAfter = last !== null && 'response' in last ? last.response.retryAfterSeconds : null;
  if (retryAfter !== null) return Math.min(retryMaxWaitMs, retryAfter * 1000);
  const exponential = retryBaseMs * 2 ** (attempt - 1);
  // Full jitter in the upper half, so retries of many lines do not arrive in step.
  return Math.min(retryMaxWaitMs, Math.round(exponential * (0.5 + 0.5 * deps.random())));
}

function costOf(deployment: Deployment, body: unknown): number {
  const usage = usageOfBody(body);
  return batchCostUsd({ inputTokens: usage.input, cachedInputTokens: usage.cached, outputTokens: usage.output }, batchPricesFor(deployment));
}
