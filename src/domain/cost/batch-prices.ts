/**
 * The per-token prices a deployment's batches are billed at (issue 8, point 3). Each of the input
 * and output price is resolved on its own, first rule that gives a value:
 *  (a) `input_cost_per_token_batches` / `output_cost_per_token_batches` — the batch price itself;
 *  (b) `input_cost_per_token` / `output_cost_per_token`, halved (the 50% batch discount every
 *      provider in the table documents, `reference/wire.md` §8);
 *  (c) the built-in table, by `model_info.base_model` (an Azure deployment names a deployment,
 *      not a model, so an explicit base model wins), then `litellm_params.base_model`, then the
 *      deployment's upstream model;
 *  (d) zero.
 * For (a) and (b) `model_info` wins over `litellm_params`, as in LiteLLM. A value may be a number
 * or a numeric string (YAML); a negative, non-finite or non-numeric value is ignored, as if absent.
 * `source` names the strongest rule used: 'override' if any price came from (a), else
 * 'override-discounted' if any came from (b), else 'table', else 'unknown'.
 * The cached-input price comes from the table, and only when the input price does too (an override
 * of the input price says nothing about its cached price): otherwise it is null and cached tokens
 * are billed at the batch input price, which never under-bills.
 *
 * Batches the gateway executes itself (issue 9) are ordinary requests to the upstream, so no
 * discount applies unless configured: (b) is taken as it is, and (c) gives the table's standard
 * prices. `_batches` prices (a) still win, for an operator who wants a discount shown.
 */
import type { Deployment } from '../deployment.js';
import { executesInGateway } from '../executor/execution-mode.js';
import { builtInPriceTable, type PriceMatch, type PriceTable } from './price-table.js';

export interface BatchPrices {
  readonly inputPerToken: number;
  readonly outputPerToken: number;
  readonly cachedInputPerToken: number | null;
  readonly source: 'override' | 'override-discounted' | 'table' | 'unknown';
}

type Source = BatchPrices['source'];
const STRENGTH: Readonly<Record<Source, number>> = { unknown: 0, table: 1, 'override-discounted': 2, override: 3 };

/** A plain decimal number (`1.5e-07`, `0.000002`, `3`), as YAML or JSON would write a price. */
const DECIMAL = /^[+]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** The price a config value denotes, or null when it is absent or unusable. */
export function parsePrice(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value.trim())) n = Number(value.trim());
  else return null;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

const configured = (d: Deployment, field: string): number | null => parsePrice(d.info[field]) ?? parsePrice(d.params[field]);

const modelName = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** The table entry for a deployment: its explicit base model first, then its upstream model. */
export function tableMatchFor(deployment: Deployment, table: PriceTable = builtInPriceTable): PriceMatch | null {
  const candidates = [modelName(deployment.info['base_model']), modelName(deployment.params['base_model']), deployment.upstreamModel];
  for (const candidate of candidates) {
    if (candidate === null) continue;
    const match = table.lookup(candidate);
    if (match) return match;
  }
  return null;
}

export function batchPricesFor(deployment: Deployment, table: PriceTable = builtInPriceTable): BatchPrices {
  let tableMatch: PriceMatch | null | undefined;
  const fromTable = (): PriceMatch | null => (tableMatch === undefined ? (tableMatch = tableMatchFor(deployment, table)) : tableMatch);

  const discounted = !executesInGateway(deployment);
  const resolve = (kind: 'input' | 'output'): { value: number; source: Source } => {
    const batch = configured(deployment, `${kind}_cost_per_token_batches`);
    if (batch !== null) return { value: batch, source: 'override' };
    const standard = configured(deployment, `${kind}_cost_per_token`);
    // Halving is exact in binary floating point.
    if (standard !== null) return discounted ? { value: standard / 2, source: 'override-discounted' } : { value: standard, source: 'override' };
    const match = fromTable();
    if (match) {
      const { price } = match;
      const value = kind === 'input' ? (discounted ? price.batchInputPerToken : price.inputPerToken) : discounted ? price.batchOutputPerToken : price.outputPerToken;
      return { value, source: 'table' };
    }
    return { value: 0, source: 'unknown' };
  };

  const input = resolve('input');
  const output = resolve('output');
  const source = STRENGTH[input.source] >= STRENGTH[output.source] ? input.source : output.source;
  const tableCached = discounted ? fromTable()?.price.batchCachedInputPerToken : fromTable()?.price.cachedInputPerToken;
  const cachedInputPerToken = input.source === 'table' ? (tableCached ?? null) : null;
  return { inputPerToken: input.value, outputPerToken: output.value, cachedInputPerToken, source };
}
