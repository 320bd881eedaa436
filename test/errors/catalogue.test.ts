/**
 * The error catalogue, its documentation and the one error handler agree (style-anchors §5 rule 1):
 * `docs/errors.md` lists exactly the codes of `src/errors/catalogue.ts`, each with the same status
 * and type, and the error handler answers every code with that status, type and code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/errors/catalogue.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { toHttpError } from '../../src/http/error-handler.js';

const DOC_PATH = resolve(import.meta.dirname, '../../docs/errors.md');

interface DocRow {
  readonly code: string;
  readonly status: number;
  readonly type: string;
  readonly when: string;
}

/** The rows of the codes table: | `code` | status | `type` | when |. */
const docRows = (markdown: string): DocRow[] => {
  const rows: DocRow[] = [];
  for (const line of markdown.split('\n')) {
    const match = /^\|\s*`([a-z0-9_]+)`\s*\|\s*(\d{3})\s*\|\s*`([a-z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (match === null) continue;
    const [, code = '', status = '', type = '', when = ''] = match;
    rows.push({ code, status: Number(status), type, when: when.trim() });
  }
  return rows;
};

const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, entry]) => ({ code, status: entry.status, type: entry.type }));

describe('docs/errors.md', () => {
  const rows = docRows(readFileSync(DOC_PATH, 'utf8'));

  it('has a table the test can read', () => {
    expect(rows.length).toBeGreaterThan(0);
  });

  it('lists every code of the catalogue, and no other, once each', () => {
    const documented = rows.map((r) => r.code);
    expect(new Set(documented).size, 'a code is documented twice').toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  });

  it('gives each code the status and type of the catalogue', () => {
    const byCode = (list: readonly { code: string; status: number; type: string }[]) =>
      Object.fromEntries(list.map(({ code, status, type }) => [code, { status, type }]));
    expect(byCode(rows)).toEqual(byCode(catalogue));
  });

  it('says when each code is raised', () => {
    for (const row of rows) expect(row.when.length, row.code).toBeGreaterThan(20);
  });
});

describe('the error handler', () => {
  it.each(Object.keys(ERROR_CATALOGUE) as ErrorCode[])('answers %s with its catalogue status, type and code', (code) => {
    const mapped = toHttpError(new GatewayError(code, `a ${code} happened`, { param: 'p' }));
    expect(mapped).toEqual({
      status: ERROR_CATALOGUE[code].status,
      body: { error: { message: `a ${code} happened`, type: ERROR_CATALOGUE[code].type, param: 'p', code } },
      retryAfterSeconds: undefined,
    });
  });

  it('never passes the text of an unknown error on', () => {
    expect(toHttpError(new Error('password=hunter2'))).toBeNull();
  });
});
