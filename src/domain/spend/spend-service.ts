/**
 * The spend API's rules (LiteLLM's `/spend/logs` and `/global/spend/report` shapes): one row per
 * booked batch, filtered by key, team, user, batch and date; a report by day and by team or key.
 * The master key sees everything; a virtual key sees only its own spend, whatever it asks for.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { hashKey } from '../auth/key-hash.js';
import type { Principal } from '../principal.js';
import type { SpendRecord, Store } from '../ports/store.js';

export interface SpendLogQuery {
  readonly apiKey?: string | undefined;
  readonly teamId?: string | undefined;
  readonly userId?: string | undefined;
  readonly batchId?: string | undefined;
  readonly startDate?: string | undefined;
  readonly endDate?: string | undefined;
  readonly limit?: number | undefined;
}

/** One row as LiteLLM's spend logs name their fields (`request_id` is the batch id). */
export interface SpendLogEntry {
  readonly request_id: string;
  readonly call_type: 'batch';
  readonly api_key: string | null;
  readonly user: string | null;
  readonly team_id: string | null;
  readonly model_group: string | null;
  readonly spend: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly startTime: string;
  readonly endTime: string;
  readonly metadata: {
    readonly status: string;
    readonly deployment_id: string;
    readonly cached_prompt_tokens: number;
    readonly requests_completed: number;
    readonly requests_failed: number;
    readonly price_source: string;
  };
}

const MAX_ROWS = 1000;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (a whole UTC day) or an ISO timestamp; `end` dates include their whole day. */
const parseDate = (value: string | undefined, param: string, end: boolean): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(dayOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new GatewayError('invalid_request', `Invalid '${param}': use YYYY-MM-DD or an ISO 8601 time.`, { param });
  return end && dayOnly ? ms + DAY_MS : ms;
};

/** A key as LiteLLM accepts it in filters: the plain `sk-…` key or its hash. */
const keyHashOf = (apiKey: string): string => (apiKey.startsWith('sk-') ? hashKey(apiKey) : apiKey);

const toEntry = (r: SpendRecord): SpendLogEntry => {
  const at = new Date(r.createdAtMs).toISOString();
  return {
    request_id: r.batchId,
    call_type: 'batch',
    api_key: r.owner.keyHash,
    user: r.owner.userId,
    team_id: r.owner.teamId,
    model_group: r.modelGroup,
    spend: r.costUsd,
    prompt_tokens: r.inputTokens,
    completion_tokens: r.outputTokens,
    total_tokens: r.totalTokens,
    startTime: at,
    endTime: at,
    metadata: {
      status: r.status,
      deployment_id: r.deploymentId,
      cached_prompt_tokens: r.cachedInputTokens,
      requests_completed: r.requestsCompleted,
      requests_failed: r.requestsFailed,
      price_source: r.priceSource,
    },
  };
};

export class SpendService {
  constructor(private readonly store: Store) {}

  async logs(principal: Principal, query: SpendLogQuery): Promise<SpendLogEntry[]> {
    const own = principal.isAdmin ? undefined : (principal.keyHash ?? '');
    const asked = query.apiKey === undefined || query.apiKey === '' ? undefined : keyHashOf(query.apiKey);
    // A virtual key asking for another key's spend gets nothing, as for any object it cannot see.
    if (own !== undefined && asked !== undefined && asked !== own) return [];
    const rows = await this.store.spend.list({
      keyHash: own ?? asked,
      teamId: query.teamId,
      userId: query.userId,
      batchId: query.batchId,
      startMs: parseDate(query.startDate, 'start_date', false),
      endMs: parseDate(query.endDate, 'end_date', true),
      limit: Math.min(query.limit ?? MAX_ROWS, MAX_ROWS),
    });
    return rows.map(toEntry);
  }

  /** Spend per UTC day, then per team or key, between two dates (default: the last 30 days). */
  async report(principal: Principal, query: { startDate?: string | undefined; endDate?: string | undefined; groupBy: 'team' | 'api_key' }, nowMs: number) {
    const endMs = parseDate(query.endDate, 'end_date', true) ?? nowMs + 1;
    const startMs = parseDate(query.startDate, 'start_date', false) ?? endMs - 30 * DAY_MS;
    const rows = await this.store.spend.report({
      startMs,
      endMs,
      groupBy: query.groupBy === 'team' ? 'team' : 'key',
      keyHash: principal.isAdmin ? undefined : (principal.keyHash ?? ''),
    });
    const days = new Map<string, Array<Record<string, unknown>>>();
    for (const row of rows) {
      const entries = days.get(row.day) ?? [];
      entries.push({
        [query.groupBy === 'team' ? 'team_id' : 'api_key']: row.group,
        total_spend: row.spend,
        total_input_tokens: row.inputTokens,
        total_output_tokens: row.outputTokens,
        batches: row.batches,
      });
      days.set(row.day, entries);
    }
    return [...days].map(([day, entries]) => ({ group_by_day: day, [query.groupBy === 'team' ? 'teams' : 'api_keys']: entries }));
  }
}
