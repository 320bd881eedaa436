/**
 * Golden files for the Anthropic Message Batches translation, both directions: `request-*`
 * (OpenAI line → Message Batch request, under its line key), `refused-*` (lines Anthropic cannot
 * express) and `result-*` (results line → OpenAI response, or never-ran). The Messages body itself
 * is shared with Anthropic models on Bedrock (`test/providers/bedrock/golden/request-anthropic-*`);
 * these pin what differs: the model in the params, image links, the line key, result types.
 * `UPDATE_GOLDEN=1` rewrites every `expected`; review the diff before committing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchInputLine } from '../../../src/contracts/openai.js';
import type { Deployment } from '../../../src/domain/deployment.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { createAnthropicAdapter } from '../../../src/providers/anthropic/adapter.js';
import { resultLineOf } from '../../../src/providers/anthropic/results.js';

const DIR = join(import.meta.dirname, 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

interface Golden {
  lineNo?: number;
  input?: BatchInputLine;
  refused?: { param: string; contains: string };
  result?: Record<string, unknown>;
  expected?: unknown;
}

const deployment: Deployment = {
  id: 'anthropic-golden',
  modelGroup: 'claude',
  provider: 'anthropic',
  upstreamModel: 'claude-sonnet-4-5',
  params: { api_key: 'sk-ant-golden' },
  info: {},
  weight: 1,
};
const adapter = createAnthropicAdapter(deployment, { timeoutMs: 1000 });
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): Golden => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Golden;

const actualOf = (g: Golden): unknown =>
  g.input !== undefined ? adapter.encodeInputLine(g.input, g.lineNo ?? 1) : resultLineOf(JSON.stringify(g.result), { model: 'claude-sonnet-4-5', created: 1_760_000_000 });

describe('anthropic translation golden files', () => {
  it('has files for every kind', () => {
    for (const kind of ['request-', 'refused-', 'result-succeeded', 'result-errored', 'result-canceled', 'result-expired']) {
      expect(files.some((f) => f.startsWith(kind))).toBe(true);
    }
  });

  for (const file of files.filter((f) => !f.startsWith('refused-'))) {
    it(file, () => {
      const golden = load(file);
      const actual = JSON.parse(JSON.stringify(actualOf(golden))) as unknown;
      if (UPDATE) {
        writeFileSync(join(DIR, file), `${JSON.stringify({ ...golden, expected: actual }, null, 2)}\n`);
        return;
      }
      expect(golden.expected, `${file} has no expected; run with UPDATE_GOLDEN=1`).toBeDefined();
      expect(actual).toEqual(golden.expected);
    });
  }

  for (const file of files.filter((f) => f.startsWith('refused-'))) {
    it(file, () => {
      const golden = load(file);
      let error: unknown;
      try {
        adapter.encodeInputLine(golden.input!, golden.lineNo ?? 1);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).param).toBe(golden.refused!.param);
      expect((error as GatewayError).message).toContain(golden.refused!.contains);
    });
  }
});
