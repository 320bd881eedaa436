/**
 * Golden files for both directions of the Vertex line translation. Each `golden/request-*.json`
 * holds an OpenAI batch line and either the Vertex line it becomes (`expected`) or a piece of
 * the refusal's message (`error`); each `golden/result-*.json` holds a Vertex output line and
 * the result line it becomes (`expected`, null for a line that is not ours).
 * `UPDATE_GOLDEN=1 npx vitest run test/providers/vertex/translate.golden.test.ts` rewrites the
 * `expected` fields; review the diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BatchInputLine } from '../../../src/contracts/openai.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { encodeVertexLine } from '../../../src/providers/vertex/request-translation.js';
import { toResultLine } from '../../../src/providers/vertex/result-translation.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const files = (prefix: string): string[] => readdirSync(DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort();
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;
const save = (file: string, golden: Record<string, unknown>): void => writeFileSync(join(DIR, file), `${JSON.stringify(golden, null, 2)}\n`);

describe('OpenAI line → Vertex line', () => {
  it.each(files('request-'))('%s', (file) => {
    const golden = load(file);
    const run = (): unknown => encodeVertexLine(golden['line'] as BatchInputLine, golden['lineNo'] as number);
    if (typeof golden['error'] === 'string') {
      expect(run).toThrow(GatewayError);
      try {
        run();
      } catch (error) {
        expect((error as GatewayError).code).toBe('invalid_request');
        expect((error as GatewayError).message).toContain(golden['error']);
      }
      return;
    }
    const actual = run();
    if (UPDATE) save(file, { ...golden, expected: actual });
    else expect(actual).toEqual(golden['expected']);
  });
});

describe('Vertex output line → result line', () => {
  const ctx = { model: 'gemini-2.5-flash', nowSeconds: 1_700_000_000 };
  it.each(files('result-'))('%s', (file) => {
    const golden = load(file);
    const actual = toResultLine(JSON.stringify(golden['output']), ctx);
    if (UPDATE) save(file, { ...golden, expected: actual });
    else expect(actual).toEqual(golden['expected']);
  });
});
