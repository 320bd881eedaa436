/**
 * The cost of a batch from its summed usage and its batch prices (issue 8, point 3):
 *
 *   (input − cached) × inputPerToken + cached × (cachedInputPerToken ?? inputPerToken)
 *     + output × outputPerToken
 *
 * Computed exactly, so that it is right to the cent and the same on every run and machine: each
 * per-token price is turned into an integer number of femto-dollars (1e-15 USD) from its shortest
 * decimal spelling (the one written in `prices.json` or the config, so `7.5e-08` is exactly 75,000,000
 * fUSD, never 74,999,999.99…), the products and the sum are done in BigInt, and the total is rounded
 * half-up once, at the end, to whole nano-dollars (1e-9 USD). `batchCostUsd` is that number of
 * nano-dollars divided by 1e9: the double nearest to a value with at most nine decimals.
 * Reasoning tokens are not added: they are already part of the output tokens.
 */
import type { BatchPrices } from './batch-prices.js';
import type { OutputUsage } from './output-usage.js';

export type CostUsage = Pick<OutputUsage, 'inputTokens' | 'cachedInputTokens' | 'outputTokens'>;

const FEMTO_DIGITS = 15;
const FEMTO_PER_NANO = 1_000_000n;
const SHORTEST_DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/**
 * Prices already converted: a deployment has a handful, and the conversion (a regular expression
 * and BigInt arithmetic) ran three times for every line of a gateway-executed batch. Bounded, as
 * prices come from the config and the price table, never from clients.
 */
const femtoOfPrice = new Map<number, bigint>();
const FEMTO_CACHE_SIZE = 1024;

/** A non-negative price in USD, as an integer number of femto-dollars (rounded half-up). */
export function toFemtoUsd(price: number): bigint {
  const known = femtoOfPrice.get(price);
  if (known !== undefined) return known;
  const femto = femtoOf(price);
  if (femtoOfPrice.size < FEMTO_CACHE_SIZE) femtoOfPrice.set(price, femto);
  return femto;
}

function femtoOf(price: number): bigint {
  if (!Number.isFinite(price) || price <= 0) return 0n;
  const m = SHORTEST_DECIMAL.exec(String(price));
  if (!m) return BigInt(Math.round(price * 10 ** FEMTO_DIGITS));
  const fraction = m[2] ?? '';
  const digits = BigInt(`${m[1] ?? '0'}${fraction}`);
  const shift = Number(m[3] ?? '0') - fraction.length + FEMTO_DIGITS;
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  const quotient = digits / divisor;
  return (digits % divisor) * 2n >= divisor ? quotient + 1n : quotient;
}

const tokens = (n: number): bigint => (Number.isFinite(n) && n > 0 ? BigInt(Math.floor(n)) : 0n);

/** The cost in whole nano-dollars (1e-9 USD), rounded half-up. Exact below about 9 million USD. */
export function batchCostNanoUsd(usage: CostUsage, prices: BatchPrices): number {
  const input = tokens(usage.inputTokens);
  const cachedRaw = tokens(usage.cachedInputTokens);
  const cached = cachedRaw > input ? input : cachedRaw;
  const inputPrice = toFemtoUsd(prices.inputPerToken);
  const cachedPrice = prices.cachedInputPerToken === null ? inputPrice : toFemtoUsd(prices.cachedInputPerToken);
  const femto = (input - cached) * inputPrice + cached * cachedPrice + tokens(usage.outputTokens) * toFemtoUsd(prices.outputPerToken);
  return Number((femto + FEMTO_PER_NANO / 2n) / FEMTO_PER_NANO);
}

/** The cost in USD, exact to the nano-dollar (see the module comment). */
export function batchCostUsd(usage: CostUsage, prices: BatchPrices): number {
  return batchCostNanoUsd(usage, prices) / 1e9;
}
