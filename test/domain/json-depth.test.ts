import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rewriteForDeployment, rewriteLine } from '../../src/domain/files/rewrite-lines.js';
import { BatchFileInspector } from '../../src/domain/lines/batch-file-inspector.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/domain/lines/json-depth.js';
import type { ProviderAdapter } from '../../src/domain/ports/provider-adapter.js';
import { GatewayError } from '../../src/errors/gateway-error.js';

const inspector = () => new BatchFileInspector({ maxLines: 1000, allowedModels: null, requireModel: false });

/** A valid batch line whose whole JSON nests exactly `depth` levels (the line's object is level 1). */
const lineOfDepth = (depth: number): string => {
  // Line object (1) + body (2) + `depth - 2` arrays under body.x.
  const arrays = depth - 2;
  return JSON.stringify({ custom_id: 'r1', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', x: 0 } }).replace(
    '"x":0',
    `"x":${'['.repeat(arrays)}${']'.repeat(arrays)}`,
  );
};

/** A line that is valid JSON to JSON.parse but deeper than any recursive stringify can go. */
const deepLine = (n: number): string =>
  `{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":${'['.repeat(n)}${']'.repeat(n)}}}`;

/** A native-format adapter, so every line takes the parsing path this suite guards. */
const passThrough = { capabilities: { lineFormat: 'native' }, encodeInputLine: (line: unknown) => line } as unknown as ProviderAdapter;
/** An OpenAI-format adapter: the model is spliced into the line's text, nothing is parsed. */
const openaiFormat = { capabilities: { lineFormat: 'openai' }, encodeInputLine: (line: unknown) => line } as unknown as ProviderAdapter;

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('nesting depth of a batch line', () => {
  it('counts the line object as level 1, arrays and objects alike', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(nestsDeeperThan('{}', 0)).toBe(true);
    expect(nestsDeeperThan('{}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(nestsDeeperThan('1', 0)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const brackets = '[[[[{{{{'.repeat(100);
    expect(nestsDeeperThan(JSON.stringify({ s: brackets }), 1)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    expect(nestsDeeperThan(String.raw`{"s":"\"[[[[[["}`, 1)).toBe(false);
    expect(nestsDeeperThan(String.raw`{"s":"\\"}`, 1)).toBe(false);
    expect(nestsDeeperThan(String.raw`{"s":"\\","t":[[]]}`, 2)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ s: `\\"${brackets}\\` }), 1)).toBe(false);
  });

  it('unbalanced closers cannot buy extra depth', () => {
    expect(nestsDeeperThan(`${']'.repeat(10)}${'['.repeat(3)}`, 2)).toBe(true);
  });

  it('the inspector accepts a line of depth 64', () => {
    const text = lineOfDepth(64);
    expect(nestsDeeperThan(text, 63)).toBe(true);
    expect(inspector().inspect({ lineNo: 1, text, byteStart: 0 })).toMatchObject({ custom_id: 'r1' });
  });

  it('the inspector refuses a line of depth 65 with a 400 naming the line', () => {
    const err = caught(() => inspector().inspect({ lineNo: 3, text: lineOfDepth(65), byteStart: 0 }));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({
      code: 'invalid_json_line',
      status: 400,
      param: null,
      message: 'Line 3: the JSON nests deeper than 64 levels. The file was not stored.',
    });
  });

  it('the inspector accepts a shallow line whose strings are full of brackets', () => {
    const text = JSON.stringify({
      custom_id: 'r1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'm', messages: [{ role: 'user', content: `${'[{'.repeat(500)}"\\` }] },
    });
    expect(inspector().inspect({ lineNo: 1, text, byteStart: 0 })).toMatchObject({ custom_id: 'r1' });
  });

  it('the inspector refuses 5,000 nested arrays (the reported 500) before parsing', () => {
    const err = caught(() => inspector().inspect({ lineNo: 1, text: deepLine(5000), byteStart: 0 }));
    expect(err).toMatchObject({ code: 'invalid_json_line', message: expect.stringContaining('deeper than 64') });
  });
});

describe('the rewrite of a managed upload cannot overflow', () => {
  it('a deep line throws a typed GatewayError naming the line, not a RangeError', () => {
    const err = caught(() => rewriteLine(deepLine(5000), 7, passThrough, 'upstream-model'));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).not.toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'invalid_json_line', status: 400, param: null, message: expect.stringMatching(/^Line 7: /) });
    expect((err as GatewayError).cause).toBeInstanceOf(RangeError);
  });

  it('splicing the model into a deep line for an OpenAI-format upstream does not recurse either', () => {
    const out = rewriteLine(deepLine(5000), 7, openaiFormat, 'upstream-model').toString('utf8');
    expect(out).toBe(`${deepLine(5000).replace('"model":"m"', '"model":"upstream-model"')}\n`);
  });

  it('the rewrite stream fails with that GatewayError, with the line number from splitLines', async () => {
    const ok = JSON.stringify({ custom_id: 'r0', method: 'POST', url: '/v1/chat/completions', body: { model: 'm' } });
    const source = Readable.from([Buffer.from(`${ok}\n\n${deepLine(5000)}\n`)]);
    const out: Buffer[] = [];
    const err = await (async () => {
      try {
        for await (const chunk of rewriteForDeployment(source, passThrough, 'up')) out.push(chunk as Buffer);
      } catch (e) {
        return e;
      }
      throw new Error('expected the stream to fail');
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'invalid_json_line', message: expect.stringMatching(/^Line 3: /) });
    // Lines go out in 64 KB writes: what was written before the failure is whole lines only.
    const written = Buffer.concat(out).toString('utf8');
    expect(written === '' || JSON.parse(written).custom_id === 'r0').toBe(true);
  });

  it('an adapter encoder that throws a GatewayError keeps its own error; any other error becomes typed', () => {
    const refusing = {
      capabilities: { lineFormat: 'native' },
      encodeInputLine: () => {
        throw new GatewayError('invalid_request', 'custom_id too long for this upstream');
      },
    } as unknown as ProviderAdapter;
    expect(caught(() => rewriteLine('{"body":{}}', 1, refusing, null))).toMatchObject({
      code: 'invalid_request',
      message: 'custom_id too long for this upstream',
    });
    const broken = {
      capabilities: { lineFormat: 'native' },
      encodeInputLine: () => {
        throw new TypeError('boom');
      },
    } as unknown as ProviderAdapter;
    expect(caught(() => rewriteLine('{"body":{}}', 2, broken, null))).toMatchObject({ code: 'invalid_json_line' });
    expect(caught(() => rewriteLine('not json', 4, passThrough, null))).toMatchObject({
      code: 'invalid_json_line',
      message: expect.stringMatching(/^Line 4: /),
    });
  });
});
