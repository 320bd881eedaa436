import { describe, expect, it } from 'vitest';
import { batchCostNanoUsd, batchCostUsd, toFemtoUsd } from '../../../src/domain/cost/batch-cost.js';
import { batchPricesFor, type BatchPrices } from '../../../src/domain/cost/batch-prices.js';
import { sumOutputUsage } from '../../../src/domain/cost/output-usage.js';
import type { Deployment } from '../../../src/domain/deployment.js';

const deployment = (over: Partial<Deployment>): Deployment => ({
  id: 'dep-1',
  modelGroup: 'group',
  provider: 'openai',
  upstreamModel: 'gpt-4o-mini',
  params: {},
  info: {},
  weight: 1,
  ...over,
});

/**
 * An output file with known usage: 2,000,000 input tokens of which 400,000 cached, 400,000 output
 * tokens, over two succeeded chat lines, one embeddings line, one failed line and one expired line.
 */
const KNOWN_FILE = [
  {
    response: {
      status_code: 200,
      body: { object: 'chat.completion', usage: { prompt_tokens: 1_234_567, completion_tokens: 345_678, total_tokens: 1_580_245 } },
    },
  },
  {
    response: {
      status_code: 200,
      body: {
        object: 'chat.completion',
        usage: {
          prompt_tokens: 665_433,
          completion_tokens: 54_322,
          total_tokens: 719_755,
          prompt_tokens_details: { cached_tokens: 400_000 },
          completion_tokens_details: { reasoning_tokens: 10_000 },
        },
      },
    },
  },
  { response: { status_code: 200, body: { object: 'list', usage: { prompt_tokens: 100_000, total_tokens: 100_000 } } } },
  { response: { status_code: 400, body: { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } } } },
  { response: null, error: { code: 'batch_expired', message: 'expired' } },
]
  .map((l, i) => JSON.stringify({ id: `batch_req_${i}`, custom_id: `r${i}`, error: null, ...l }))
  .join('\n');

async function* source(text: string): AsyncGenerator<Uint8Array> {
  const data = new TextEncoder().encode(text);
  for (let at = 0; at < data.length; at += 97) yield data.subarray(at, at + 97);
}

const prices = (inputPerToken: number, outputPerToken: number, cachedInputPerToken: number | null = null): BatchPrices => ({
  inputPerToken,
  outputPerToken,
  cachedInputPerToken,
  source: 'override',
});

describe('a file with known usage, priced right to the cent', () => {
  it('sums as expected', async () => {
    expect(await sumOutputUsage(source(KNOWN_FILE))).toMatchObject({
      inputTokens: 2_000_000,
      cachedInputTokens: 400_000,
      outputTokens: 400_000,
      reasoningTokens: 10_000,
      succeeded: 3,
      failed: 2,
    });
  });

  it('with an override from the config (input_cost_per_token / output_cost_per_token, halved)', async () => {
    // YAML strings; halved: 1.25e-6 and 5e-6 per token. No cached price: cached tokens cost input price.
    // 2,000,000 × 1.25e-6 + 400,000 × 5e-6 = 2.50 + 2.00 = 4.50 USD.
    const d = deployment({ provider: 'azure', upstreamModel: 'prod-deployment', info: { input_cost_per_token: '2.5e-06', output_cost_per_token: '1e-05' } });
    const p = batchPricesFor(d);
    expect(p.source).toBe('override-discounted');
    const usage = await sumOutputUsage(source(KNOWN_FILE));
    expect(batchCostUsd(usage, p)).toBe(4.5);
    expect(batchCostNanoUsd(usage, p)).toBe(4_500_000_000);
  });

  it('with a batch override (input_cost_per_token_batches / output_cost_per_token_batches)', async () => {
    // 2,000,000 × 3e-7 + 400,000 × 1.2e-6 = 0.60 + 0.48 = 1.08 USD.
    const d = deployment({ params: { input_cost_per_token_batches: 3e-7, output_cost_per_token_batches: '1.2e-06' } });
    expect(batchCostUsd(await sumOutputUsage(source(KNOWN_FILE)), batchPricesFor(d))).toBe(1.08);
  });

  it('with a built-in model (gpt-4o-mini, the prices of reference/wire.md §8)', async () => {
    // Batch: input 7.5e-8, cached input 3.75e-8, output 3e-7 per token.
    // 1,600,000 × 7.5e-8 + 400,000 × 3.75e-8 + 400,000 × 3e-7 = 0.12 + 0.015 + 0.12 = 0.255 USD.
    const p = batchPricesFor(deployment({ upstreamModel: 'gpt-4o-mini-2024-07-18' }));
    expect(p).toEqual({ inputPerToken: 7.5e-8, outputPerToken: 3e-7, cachedInputPerToken: 3.75e-8, source: 'table' });
    const usage = await sumOutputUsage(source(KNOWN_FILE));
    expect(batchCostUsd(usage, p)).toBe(0.255);
    expect(batchCostNanoUsd(usage, p)).toBe(255_000_000);
  });

  it('with a built-in model behind an Azure deployment name (base_model)', async () => {
    // gpt-4.1 batch: input 1e-6, cached 2.5e-7, output 4e-6.
    // 1,600,000 × 1e-6 + 400,000 × 2.5e-7 + 400,000 × 4e-6 = 1.60 + 0.10 + 1.60 = 3.30 USD.
    const p = batchPricesFor(deployment({ provider: 'azure', upstreamModel: 'eu-batch-01', info: { base_model: 'azure/gpt-4.1-2025-04-14' } }));
    expect(batchCostUsd(await sumOutputUsage(source(KNOWN_FILE)), p)).toBe(3.3);
  });

  it('with built-in Claude and Gemini models', async () => {
    const usage = await sumOutputUsage(source(KNOWN_FILE));
    // claude-sonnet-4-5 batch: 1.5e-6 / cached 1.5e-7 / 7.5e-6:
    // 1,600,000 × 1.5e-6 + 400,000 × 1.5e-7 + 400,000 × 7.5e-6 = 2.40 + 0.06 + 3.00 = 5.46 USD.
    expect(batchCostUsd(usage, batchPricesFor(deployment({ provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5-20250929' })))).toBe(5.46);
    // gemini-2.5-flash batch: 1.5e-7 / cached 3e-8 (not halved again) / 1.25e-6:
    // 1,600,000 × 1.5e-7 + 400,000 × 3e-8 + 400,000 × 1.25e-6 = 0.24 + 0.012 + 0.50 = 0.752 USD.
    expect(batchCostUsd(usage, batchPricesFor(deployment({ provider: 'gemini', upstreamModel: 'gemini/gemini-2.5-flash' })))).toBe(0.752);
  });

  it('is zero for an unknown model', async () => {
    const p = batchPricesFor(deployment({ provider: 'hosted_vllm', upstreamModel: 'my-llama' }));
    expect(batchCostUsd(await sumOutputUsage(source(KNOWN_FILE)), p)).toBe(0);
  });
});

describe('batchCostUsd', () => {
  it('bills cached tokens at the cached price, or at the input price when none is listed', () => {
    const usage = { inputTokens: 1000, cachedInputTokens: 600, outputTokens: 0 };
    expect(batchCostNanoUsd(usage, prices(1e-6, 0, 1e-7))).toBe(400 * 1000 + 600 * 100);
    expect(batchCostNanoUsd(usage, prices(1e-6, 0, null))).toBe(1000 * 1000);
  });

  it('is exact where floating point is not', () => {
    const usage = { inputTokens: 3, cachedInputTokens: 0, outputTokens: 3 };
    // 3 × 1e-7 + 3 × 2e-7 = 9e-7 exactly (0.1 + 0.2 style sums would give 9.000000000000001e-7).
    expect(batchCostUsd(usage, prices(1e-7, 2e-7))).toBe(9e-7);
    // Large counts at tiny prices: 123,456,789 × 7.5e-8 = 9.259259175 USD.
    expect(batchCostUsd({ inputTokens: 123_456_789, cachedInputTokens: 0, outputTokens: 0 }, prices(7.5e-8, 0))).toBe(9.259259175);
  });

  it('rounds half-up to the nano-dollar once, at the end', () => {
    // 37.5 nano-dollars rounds to 38; two such tokens are exactly 75.
    expect(batchCostNanoUsd({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, prices(3.75e-8, 0))).toBe(38);
    expect(batchCostNanoUsd({ inputTokens: 2, cachedInputTokens: 0, outputTokens: 0 }, prices(3.75e-8, 0))).toBe(75);
    expect(batchCostNanoUsd({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, prices(2.5e-9, 0))).toBe(3);
    expect(batchCostNanoUsd({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, prices(2.4e-10, 0))).toBe(0);
  });

  it('never bills more cached tokens than input tokens, nor negative or fractional counts', () => {
    expect(batchCostNanoUsd({ inputTokens: 10, cachedInputTokens: 50, outputTokens: 0 }, prices(1e-6, 0, 1e-7))).toBe(1000);
    expect(batchCostNanoUsd({ inputTokens: -10, cachedInputTokens: Number.NaN, outputTokens: 2.9 }, prices(1e-6, 1e-6))).toBe(2000);
  });
});

describe('toFemtoUsd', () => {
  it.each([
    [7.5e-8, 75_000_000n],
    [1.5e-7, 150_000_000n],
    [3.75e-8, 37_500_000n],
    [0.000002, 2_000_000_000n],
    [1, 1_000_000_000_000_000n],
    [12.5, 12_500_000_000_000_000n],
    [1e21, 10n ** 36n],
    [5e-16, 1n],
    [4e-16, 0n],
    [1.2345678901234567e-7, 123_456_789n],
    [0, 0n],
    [-1e-6, 0n],
    [Number.NaN, 0n],
  ])('%d USD is %d fUSD', (price, femto) => {
    expect(toFemtoUsd(price)).toBe(femto);
  });
});
