import { describe, expect, it } from 'vitest';
import { toFemtoUsd } from '../../../src/domain/cost/batch-cost.js';
import {
  builtInPriceTable,
  createPriceTable,
  normaliseModelName,
  stripVersionSuffix,
} from '../../../src/domain/cost/price-table.js';
import rawPrices from '../../../src/domain/cost/prices.json' with { type: 'json' };

const table = builtInPriceTable;
const keyOf = (model: string): string | null => table.lookup(model)?.key ?? null;

/** A one-model document in the shape of prices.json, for the validation tests. */
const doc = (models: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  as_of: '2026-12-01',
  unit: 'USD per token',
  providers: { openai: { models } },
  ...extra,
});
const entry = { input: 2e-6, cached_input: null, output: 8e-6, batch_input: 1e-6, batch_cached_input: null, batch_output: 4e-6 };

describe('prices.json', () => {
  it('is dated and says where its prices come from', () => {
    expect(rawPrices.as_of).toBe('2026-12-01');
    expect(table.asOf).toBe('2026-12-01');
    expect(rawPrices.sources.length).toBeGreaterThan(40);
    for (const group of Object.values(rawPrices.providers)) expect(group.sources.length).toBeGreaterThan(0);
  });

  it('carries the gpt-4o-mini facts of reference/wire.md §8', () => {
    const price = table.lookup('gpt-4o-mini')?.price;
    expect(price).toMatchObject({ inputPerToken: 1.5e-7, batchInputPerToken: 7.5e-8, outputPerToken: 6e-7, batchOutputPerToken: 3e-7 });
  });

  it('covers the current batch-capable models of OpenAI / Azure OpenAI, Anthropic and Gemini', () => {
    const required = [
      'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o1', 'o3', 'o3-mini', 'o4-mini',
      'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.1', 'gpt-5.2',
      'text-embedding-3-small', 'text-embedding-3-large', 'text-embedding-ada-002',
      'claude-opus-4', 'claude-opus-4-1', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-sonnet-4', 'claude-sonnet-4-5',
      'claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-3-5-haiku', 'claude-3-7-sonnet',
      'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-2.0-flash-lite',
    ];
    for (const model of required) expect(table.lookup(model), model).toMatchObject({ key: model, matchedBy: 'exact' });
  });

  it('prices every batch at half the standard price (the documented 50% discount), exactly', () => {
    for (const [provider, group] of Object.entries(rawPrices.providers)) {
      for (const [key, m] of Object.entries(group.models) as [string, typeof entry][]) {
        const at = `${provider}/${key}`;
        expect(toFemtoUsd(m.batch_input) * 2n, at).toBe(toFemtoUsd(m.input));
        expect(toFemtoUsd(m.batch_output) * 2n, at).toBe(toFemtoUsd(m.output));
        expect(m.batch_cached_input === null, at).toBe(m.cached_input === null);
        if (m.cached_input === null || m.batch_cached_input === null) continue;
        expect(m.cached_input, at).toBeLessThan(m.input);
        // Gemini's cache discount does not stack with the batch discount; OpenAI's and Anthropic's do.
        const stacks = provider !== 'gemini';
        expect(toFemtoUsd(m.batch_cached_input) * (stacks ? 2n : 1n), at).toBe(toFemtoUsd(m.cached_input));
      }
    }
  });

  it('lists each key once, lower case, without a provider prefix', () => {
    expect(new Set(table.keys).size).toBe(table.keys.length);
    for (const key of table.keys) expect(normaliseModelName(key)).toBe(key);
  });
});

describe('lookup', () => {
  it('finds an exact name, and an alias', () => {
    expect(table.lookup('gpt-4.1')).toMatchObject({ key: 'gpt-4.1', matchedBy: 'exact' });
    expect(table.lookup('gpt-35-turbo')).toMatchObject({ key: 'gpt-3.5-turbo', matchedBy: 'exact' });
  });

  it('prefers an exact snapshot to its family (gpt-4o-2024-05-13 kept its launch price)', () => {
    expect(table.lookup('gpt-4o-2024-05-13')).toMatchObject({ key: 'gpt-4o-2024-05-13', matchedBy: 'exact' });
    expect(table.lookup('gpt-4o-2024-05-13')?.price.batchInputPerToken).toBe(2.5e-6);
    expect(table.lookup('gpt-4o-2024-08-06')).toMatchObject({ key: 'gpt-4o', matchedBy: 'dated-suffix' });
  });

  it.each([
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['o3-2025-04-16', 'o3'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-opus-4-20250514', 'claude-opus-4'],
    ['claude-3-5-haiku-20241022', 'claude-3-5-haiku'],
    ['claude-opus-4-1@20250805', 'claude-opus-4-1'],
    ['gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['gemini-2.0-flash-lite-001', 'gemini-2.0-flash-lite'],
  ])('strips the dated suffix of %s', (model, key) => {
    expect(table.lookup(model)).toMatchObject({ key, matchedBy: 'dated-suffix' });
  });

  it.each([
    ['azure/gpt-4o', 'gpt-4o'],
    ['openai/gpt-4.1-mini', 'gpt-4.1-mini'],
    ['vertex_ai/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['vertex_ai/claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['gemini/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['anthropic/claude-haiku-4-5', 'claude-haiku-4-5'],
    ['publishers/google/models/gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['Azure/GPT-4o-Mini', 'gpt-4o-mini'],
  ])('never keys on a provider prefix: %s', (model, key) => {
    expect(keyOf(model)).toBe(key);
  });

  it.each([
    ['claude-3-5-haiku-latest', 'claude-3-5-haiku'],
    ['gpt-5-chat-latest', 'gpt-5'],
    ['o4-mini-high', 'o4-mini'],
    ['gpt-4o-prod-eastus', 'gpt-4o'],
    ['gpt-4.1-nano-batch', 'gpt-4.1-nano'],
    ['gemini-2.5-flash-preview-09-2025', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-lite-preview-09-2025', 'gemini-2.5-flash-lite'],
  ])('falls back to the longest known prefix: %s', (model, key) => {
    expect(table.lookup(model)).toMatchObject({ key, matchedBy: 'prefix' });
  });

  it.each([
    'claude-opus-4-9', // a newer version, not a variant of claude-opus-4
    'gpt-5.5', // not gpt-5
    'gpt-5-pro',
    'o3-pro',
    'o4-mini-deep-research',
    'gpt-5.1-codex-mini',
    'gpt-4o-mini-tts',
    'gpt-4o-realtime-preview',
    'gemini-2.5-flash-image',
    'ft:gpt-4o-mini-2024-07-18:acme::abc123',
    'llama-3.1-70b-instruct',
    'azure/my-deployment',
    '',
    '   ',
  ])('reports %j unknown rather than pricing it as another model', (model) => {
    expect(table.lookup(model)).toBeNull();
  });

  it('normalises and strips as documented', () => {
    expect(normaliseModelName('  Vertex_AI/Gemini-2.5-Pro ')).toBe('gemini-2.5-pro');
    expect(stripVersionSuffix('gpt-4o-mini-2024-07-18')).toBe('gpt-4o-mini');
    expect(stripVersionSuffix('gpt-4o')).toBe('gpt-4o');
  });

  it('reads Bedrock model ids as the provider model they name, profiles and versions dropped', () => {
    expect(normaliseModelName('bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0')).toBe('claude-3-5-haiku-20241022');
    expect(normaliseModelName('anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('claude-sonnet-4-5-20250929');
    expect(table.lookup('bedrock/eu.anthropic.claude-3-haiku-20240307-v1:0')?.key).toBe('claude-3-haiku');
    // Not an Anthropic id: left as it is, and unknown to the table.
    expect(normaliseModelName('amazon.nova-lite-v1:0')).toBe('amazon.nova-lite-v1:0');
  });
});

describe('createPriceTable', () => {
  it('builds a table from a document of the same shape', () => {
    const custom = createPriceTable(doc({ 'house-model': entry }));
    expect(custom.lookup('azure/house-model-2025-01-01')).toMatchObject({ key: 'house-model', matchedBy: 'dated-suffix' });
    expect(custom.lookup('gpt-4o')).toBeNull();
  });

  it.each([
    ['a missing date', { ...doc({ m: entry }), as_of: undefined }],
    ['a malformed date', doc({ m: entry }, { as_of: '1 Dec 2026' })],
    ['another unit', doc({ m: entry }, { unit: 'USD per 1M tokens' })],
    ['an unknown provider', { as_of: '2026-12-01', unit: 'USD per token', providers: { bedrock: { models: { m: entry } } } }],
    ['a negative price', doc({ m: { ...entry, batch_output: -1 } })],
    ['a price given as text', doc({ m: { ...entry, input: '2e-6' } })],
    ['a missing price', doc({ m: { ...entry, output: undefined } })],
    ['an upper-case key', doc({ 'GPT-X': entry })],
    ['a key with a provider prefix', doc({ 'azure/gpt-x': entry })],
    ['a key listed twice', doc({ m: entry, n: { ...entry, aliases: ['m'] } })],
    ['aliases that are not names', doc({ m: { ...entry, aliases: 'mm' } })],
  ])('refuses a document with %s', (_, bad) => {
    expect(() => createPriceTable(bad)).toThrow(/prices\.json/);
  });
});
