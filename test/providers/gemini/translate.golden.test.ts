/**
 * Golden files for what the Gemini API line translation does differently from Vertex's (whose
 * goldens cover the shared GenerateContentRequest/Response translation): the `{key, request}`
 * line wrapper with no `labels`, refusals naming the Gemini API, and the two shapes answers come
 * back in (inline `{response | error, metadata}` elements, responses file `{key, …}` lines).
 *
 * `golden/request-*.json`: an OpenAI batch line and the line it becomes (`expected`) or a piece
 * of the refusal (`error`). `golden/inline-*.json` / `golden/file-*.json`: an answer, its
 * `position` (inline), and the result line it becomes (`expected`, null when it is not ours).
 * `UPDATE_GOLDEN=1 npx vitest run test/providers/gemini/translate.golden.test.ts` rewrites the
 * `expected` fields; review the diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BatchInputLine } from '../../../src/contracts/openai.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { encodeGeminiLine } from '../../../src/providers/gemini/lines.js';
import { fileLineToResult, inlineAnswerToResult } from '../../../src/providers/gemini/results.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const files = (prefix: string): string[] => readdirSync(DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort();
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;
const save = (file: string, golden: Record<string, unknown>): void => writeFileSync(join(DIR, file), `${JSON.stringify(golden, null, 2)}\n`);
const check = (file: string, golden: Record<string, unknown>, actual: unknown): void => {
  if (UPDATE) save(file, { ...golden, expected: actual });
  else expect(actual).toEqual(golden['expected']);
};

describe('OpenAI line → Gemini API line', () => {
  it.each(files('request-'))('%s', (file) => {
    const golden = load(file);
    const run = (): unknown => encodeGeminiLine(golden['line'] as BatchInputLine, golden['lineNo'] as number);
    if (typeof golden['error'] === 'string') {
      expect(run).toThrow(GatewayError);
      try {
        run();
      } catch (error) {
        expect((error as GatewayError).code).toBe('invalid_request');
        expect((error as GatewayError).message).toContain(golden['error']);
        expect((error as GatewayError).message).not.toContain('Vertex');
      }
      return;
    }
    const actual = run();
    expect(JSON.stringify(actual)).not.toContain('labels');
    check(file, golden, actual);
  });
});

const ctx = { model: 'gemini-2.5-flash', nowSeconds: 1_700_000_000, clean: (text: string) => text };

describe('Gemini API answers → result lines', () => {
  it.each(files('inline-'))('%s', (file) => {
    const golden = load(file);
    check(file, golden, inlineAnswerToResult(JSON.stringify(golden['answer']), golden['position'] as number, 'batches/golden', ctx));
  });
  it.each(files('file-'))('%s', (file) => {
    const golden = load(file);
    check(file, golden, fileLineToResult(JSON.stringify(golden['line']), 'files/golden', ctx));
  });
});
