/**
 * Golden files for the Bedrock line translation, both directions and both record formats:
 * `request-*` (OpenAI line → input record), `refused-*` (lines Bedrock cannot express) and
 * `result-*` (output record → OpenAI response). `UPDATE_GOLDEN=1` rewrites the `expected` of
 * every request/result file from the current code; review the diff before committing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchInputLine } from '../../../src/contracts/openai.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import type { ModelFamily } from '../../../src/providers/bedrock/model-family.js';
import { encodeRecord } from '../../../src/providers/bedrock/records.js';
import { redactAwsText } from '../../../src/providers/bedrock/redact.js';
import { recordToResponse } from '../../../src/providers/bedrock/result-translation.js';

const DIR = join(import.meta.dirname, 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

interface Golden {
  family: ModelFamily;
  lineNo?: number;
  input?: BatchInputLine;
  refused?: { param: string; contains: string };
  context?: { model: string; created: number; completionId: string };
  record?: Record<string, unknown>;
  expected?: unknown;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): Golden => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Golden;

const actualOf = (g: Golden): unknown => {
  if (g.input !== undefined) return encodeRecord(g.input, g.lineNo ?? 1, g.family);
  const ctx = { ...g.context!, sanitize: (t: string) => redactAwsText(t, []) };
  return recordToResponse(g.record!, g.family, ctx);
};

describe('bedrock translation golden files', () => {
  it('has files for every kind', () => {
    for (const kind of ['request-anthropic', 'request-converse', 'refused-', 'result-anthropic', 'result-converse', 'result-error']) {
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
      let thrown: unknown;
      try {
        encodeRecord(golden.input!, golden.lineNo ?? 1, golden.family);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GatewayError);
      const err = thrown as GatewayError;
      expect(err.code).toBe('invalid_request');
      expect(err.status).toBe(400);
      expect(err.param).toBe(golden.refused!.param);
      expect(err.message).toContain(`Line ${golden.lineNo}:`);
      expect(err.message).toContain(golden.refused!.contains);
    });
  }
});
