import { describe, expect, it } from 'vitest';
import { batchPricesFor, parsePrice, tableMatchFor } from '../../../src/domain/cost/batch-prices.js';
import { createPriceTable } from '../../../src/domain/cost/price-table.js';
import type { Deployment } from '../../../src/domain/deployment.js';

const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'dep-1',
  modelGroup: 'group',
  provider: 'openai',
  upstreamModel: 'gpt-4o-mini',
  params: {},
  info: {},
  weight: 1,
  ...over,
});

/** gpt-4o-mini at batch prices, from the built-in table. */
const MINI = { inputPerToken: 7.5e-8, outputPerToken: 3e-7, cachedInputPerToken: 3.75e-8 };

describe('parsePrice', () => {
  it.each([
    [1.5e-7, 1.5e-7],
    [0, 0],
    ['1.5e-07', 1.5e-7],
    ['0.000002', 2e-6],
    [' 3E-6 ', 3e-6],
    ['+2.5e-6', 2.5e-6],
    ['.5', 0.5],
  ])('reads %j as %d', (value, expected) => {
    expect(parsePrice(value)).toBe(expected);
  });

  it.each([-1e-6, '-1e-6', Number.NaN, 'NaN', Number.POSITIVE_INFINITY, 'Infinity', '', '  ', 'abc', '0x10', '1e-6 USD', true, null, undefined, {}, [1e-6]])(
    'ignores %j',
    (value) => {
      expect(parsePrice(value)).toBeNull();
    },
  );
});

describe('batchPricesFor', () => {
  describe('(a) *_cost_per_token_batches overrides', () => {
    it('are the batch prices, from model_info', () => {
      const d = deployment({ info: { input_cost_per_token_batches: 1e-6, output_cost_per_token_batches: 4e-6 } });
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 1e-6, outputPerToken: 4e-6, cachedInputPerToken: null, source: 'override' });
    });

    it('are the batch prices, from litellm_params, as numeric strings (YAML)', () => {
      const d = deployment({ params: { input_cost_per_token_batches: '1.0e-06', output_cost_per_token_batches: '4e-06' } });
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 1e-6, outputPerToken: 4e-6, cachedInputPerToken: null, source: 'override' });
    });

    it('in model_info win over litellm_params', () => {
      const d = deployment({
        info: { input_cost_per_token_batches: 1e-6, output_cost_per_token_batches: 4e-6 },
        params: { input_cost_per_token_batches: 9e-6, output_cost_per_token_batches: 9e-6 },
      });
      expect(batchPricesFor(d)).toMatchObject({ inputPerToken: 1e-6, outputPerToken: 4e-6, source: 'override' });
    });

    it('win over standard prices wherever those are', () => {
      const d = deployment({
        info: { input_cost_per_token: 8e-6, output_cost_per_token: 8e-6 },
        params: { input_cost_per_token_batches: 1e-6, output_cost_per_token_batches: 4e-6 },
      });
      expect(batchPricesFor(d)).toMatchObject({ inputPerToken: 1e-6, outputPerToken: 4e-6, source: 'override' });
    });

    it('may be zero (a free deployment)', () => {
      const d = deployment({ upstreamModel: 'local-llama', info: { input_cost_per_token_batches: 0, output_cost_per_token_batches: '0' } });
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 0, outputPerToken: 0, cachedInputPerToken: null, source: 'override' });
    });

    it('that are negative or not numbers are ignored, and the next source answers', () => {
      const d = deployment({
        info: { input_cost_per_token_batches: -1e-6, output_cost_per_token_batches: 'NaN' },
        params: { input_cost_per_token_batches: 2e-6 },
      });
      // Input from litellm_params; output from the table (gpt-4o-mini).
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 2e-6, outputPerToken: MINI.outputPerToken, cachedInputPerToken: null, source: 'override' });
    });
  });

  describe('(b) *_cost_per_token overrides', () => {
    it('are halved (the 50% batch discount), from model_info', () => {
      const d = deployment({ info: { input_cost_per_token: 2e-6, output_cost_per_token: 8e-6 } });
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 1e-6, outputPerToken: 4e-6, cachedInputPerToken: null, source: 'override-discounted' });
    });

    it('are halved, from litellm_params, as numeric strings', () => {
      const d = deployment({ params: { input_cost_per_token: '1.5e-07', output_cost_per_token: '6e-07' } });
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 7.5e-8, outputPerToken: 3e-7, cachedInputPerToken: null, source: 'override-discounted' });
    });

    it('in model_info win over litellm_params', () => {
      const d = deployment({ info: { input_cost_per_token: 2e-6, output_cost_per_token: 8e-6 }, params: { input_cost_per_token: 1, output_cost_per_token: 1 } });
      expect(batchPricesFor(d)).toMatchObject({ inputPerToken: 1e-6, outputPerToken: 4e-6, source: 'override-discounted' });
    });

    it('are ignored when negative', () => {
      const d = deployment({ info: { input_cost_per_token: -2e-6, output_cost_per_token: '-8e-6' } });
      expect(batchPricesFor(d)).toEqual({ ...MINI, source: 'table' });
    });
  });

  it('resolves input and output on their own, naming the strongest rule used', () => {
    const d = deployment({ info: { output_cost_per_token_batches: 5e-7, input_cost_per_token: 4e-7 } });
    expect(batchPricesFor(d)).toEqual({ inputPerToken: 2e-7, outputPerToken: 5e-7, cachedInputPerToken: null, source: 'override' });
  });

  it("keeps the table's cached price only while the input price is the table's too", () => {
    const outputOnly = deployment({ info: { output_cost_per_token_batches: 5e-7 } });
    expect(batchPricesFor(outputOnly)).toEqual({ ...MINI, outputPerToken: 5e-7, source: 'override' });
    const inputOnly = deployment({ info: { input_cost_per_token_batches: 1e-7 } });
    expect(batchPricesFor(inputOnly)).toEqual({ inputPerToken: 1e-7, outputPerToken: MINI.outputPerToken, cachedInputPerToken: null, source: 'override' });
  });

  describe('(c) the built-in table', () => {
    it('prices the upstream model at batch prices', () => {
      expect(batchPricesFor(deployment())).toEqual({ ...MINI, source: 'table' });
      expect(batchPricesFor(deployment({ provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5-20250929' }))).toEqual({
        inputPerToken: 1.5e-6,
        outputPerToken: 7.5e-6,
        cachedInputPerToken: 1.5e-7,
        source: 'table',
      });
      expect(batchPricesFor(deployment({ provider: 'vertex_ai', upstreamModel: 'gemini-2.5-flash' }))).toEqual({
        inputPerToken: 1.5e-7,
        outputPerToken: 1.25e-6,
        cachedInputPerToken: 3e-8, // Gemini: the cache price, not halved again
        source: 'table',
      });
    });

    it("prices an Azure deployment by model_info.base_model (its upstream name is the deployment's)", () => {
      const d = deployment({ provider: 'azure', upstreamModel: 'prod-eastus-batch', info: { base_model: 'azure/gpt-4.1-mini' } });
      expect(batchPricesFor(d)).toEqual({ inputPerToken: 2e-7, outputPerToken: 8e-7, cachedInputPerToken: 5e-8, source: 'table' });
      expect(tableMatchFor(d)?.key).toBe('gpt-4.1-mini');
    });

    it('also reads base_model from litellm_params', () => {
      const d = deployment({ provider: 'azure', upstreamModel: 'prod-eastus-batch', params: { base_model: 'gpt-4.1-mini' } });
      expect(tableMatchFor(d)?.key).toBe('gpt-4.1-mini');
    });

    it('prefers an explicit base_model to the upstream name, and falls back to the upstream name', () => {
      expect(tableMatchFor(deployment({ upstreamModel: 'gpt-4o', info: { base_model: 'gpt-4o-mini' } }))?.key).toBe('gpt-4o-mini');
      expect(tableMatchFor(deployment({ upstreamModel: 'gpt-4o', info: { base_model: 'house-model' } }))?.key).toBe('gpt-4o');
      expect(tableMatchFor(deployment({ upstreamModel: 'gpt-4o', info: { base_model: 42 } }))?.key).toBe('gpt-4o');
    });

    it('uses the table it is given', () => {
      const house = createPriceTable({
        as_of: '2026-12-01',
        unit: 'USD per token',
        providers: {
          openai: {
            models: {
              'house-model': { input: 2e-6, cached_input: 1e-6, output: 8e-6, batch_input: 1e-6, batch_cached_input: 5e-7, batch_output: 4e-6 },
            },
          },
        },
      });
      expect(batchPricesFor(deployment({ upstreamModel: 'house-model' }), house)).toEqual({
        inputPerToken: 1e-6,
        outputPerToken: 4e-6,
        cachedInputPerToken: 5e-7,
        source: 'table',
      });
      expect(batchPricesFor(deployment(), house).source).toBe('unknown');
    });
  });

  it('(d) is zero, and says so, for a model nobody priced', () => {
    const d = deployment({ provider: 'hosted_vllm', upstreamModel: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(batchPricesFor(d)).toEqual({ inputPerToken: 0, outputPerToken: 0, cachedInputPerToken: null, source: 'unknown' });
  });
});
