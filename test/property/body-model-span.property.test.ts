/**
 * The scan that finds `body.model` in a batch line so a managed upload can splice in the
 * deployment's model without parsing (src/domain/lines/body-model-span.ts): whatever it answers
 * must be what a parser would make of the line, keys read as a parser reads them (escapes), and
 * where a parser keeps one of several values (repeated keys) it must step aside.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyModelSpan } from '../../src/domain/lines/body-model-span.js';

const splice = (text: string, model: string): string | null => {
  const span = bodyModelSpan(text);
  return span === null ? null : `${text.slice(0, span.start)}${JSON.stringify(model)}${text.slice(span.end)}`;
};

/** What the parsing path produces: the line with body.model set. */
const parsedWith = (text: string, model: string): unknown => {
  const line = JSON.parse(text) as { body: Record<string, unknown> };
  return { ...line, body: { ...line.body, model } };
};

/** JSON text of a value, with random whitespace between tokens (as hand-written files have). */
const spaced = (value: unknown, gap: string): string => JSON.stringify(value, null, gap).replace(/\n/g, gap === '' ? '' : '\n');

const key = fc.oneof(fc.constantFrom('model', 'body', 'custom_id', 'messages', 'mödel', 'a"b', 'x\\y'), fc.string({ maxLength: 8 }));
const anyJson = fc.jsonValue({ maxDepth: 4 });

const line = fc.record({
  custom_id: fc.string({ maxLength: 12 }),
  method: fc.constant('POST'),
  url: fc.constant('/v1/chat/completions'),
  body: fc.tuple(fc.dictionary(key, anyJson, { maxKeys: 5 }), fc.string({ maxLength: 20 })).map(([rest, model]) => ({ ...rest, model })),
  extra: fc.dictionary(key, anyJson, { maxKeys: 3 }),
});

describe('bodyModelSpan', () => {
  it('splices to the same value a parser would make, for any well-formed line', () => {
    fc.assert(
      fc.property(line, fc.constantFrom('', ' ', '  ', '\t'), fc.string({ maxLength: 20 }), (value, gap, model) => {
        const text = spaced(value, gap);
        const out = splice(text, model);
        expect(out).not.toBeNull();
        expect(JSON.parse(out!)).toEqual(parsedWith(text, model));
      }),
      { numRuns: 2000 },
    );
  });

  it('never answers differently from a parser on arbitrary JSON objects', () => {
    fc.assert(
      fc.property(fc.dictionary(key, fc.oneof(anyJson, fc.dictionary(key, anyJson, { maxKeys: 4 })), { maxKeys: 6 }), fc.string({ maxLength: 10 }), (value, model) => {
        const text = JSON.stringify(value);
        const out = splice(text, model);
        if (out === null) return;
        expect(JSON.parse(out)).toEqual(parsedWith(text, model));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the model past strings full of quotes, braces and backslashes', () => {
    const text = JSON.stringify({ custom_id: 'a"}{', body: { messages: [{ content: '\\"model\\": "x" } ]' }], model: 'gpt-4o' }, method: 'POST' });
    expect(splice(text, 'dep-1')).toBe(text.replace('"gpt-4o"', '"dep-1"'));
  });

  it('ignores a model nested deeper than body, and a body nested deeper than the line', () => {
    const text = '{"meta":{"body":{"model":"no"}},"body":{"tools":[{"model":"no"}],"model":"yes"}}';
    expect(splice(text, 'M')).toBe('{"meta":{"body":{"model":"no"}},"body":{"tools":[{"model":"no"}],"model":"M"}}');
  });

  it('splices past multi-byte characters', () => {
    const text = JSON.stringify({ custom_id: 'café ☕ 😀', body: { messages: [{ content: 'naïve “quotes” 日本語' }], model: 'gpt-4o' } });
    expect(splice(text, 'dép-1')).toBe(text.replace('"gpt-4o"', '"dép-1"'));
  });

  it('reads escaped keys as a parser does', () => {
    expect(splice('{"bo\\u0064y":{"mod\\u0065l":"a"}}', 'M')).toBe('{"bo\\u0064y":{"mod\\u0065l":"M"}}');
  });

  it.each([
    ['an escaped key a parser reads as a second model', '{"body":{"model":"a","mod\\u0065l":"b"}}'],
    ['an escaped body key', '{"bo\\u0064y":{"model":"a"},"body":{"model":"b"}}'],
    ['a repeated model (a parser keeps the last)', '{"body":{"model":"a","model":"b"}}'],
    ['a repeated body', '{"body":{"model":"a"},"body":{"model":"b"}}'],
    ['no model', '{"body":{"messages":[]}}'],
    ['a model that is not a string', '{"body":{"model":7}}'],
    ['a body that is not an object', '{"body":"x"}'],
    ['trailing text', '{"body":{"model":"a"}} x'],
    ['an unterminated string', '{"body":{"model":"a}}'],
  ])('leaves %s to the parser', (_what, text) => {
    expect(bodyModelSpan(text)).toBeNull();
  });
});
