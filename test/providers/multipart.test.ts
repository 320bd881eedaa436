/**
 * The streaming multipart builder: a body busboy parses back exactly, an exact Content-Length,
 * and a 50 MB generated file that reaches the fake intact without ever existing whole in memory.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIAdapter } from '../../src/providers/openai/adapter.js';
import { buildMultipartBody } from '../../src/providers/shared/multipart.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { deploymentOf, opts, streamOf } from './support.js';

interface Parsed {
  fields: Record<string, string>;
  files: Array<{ name: string; filename: string; mimeType: string; data: string }>;
}

/** Parses a multipart body with busboy (small bodies only: this buffers). */
const parse = (contentType: string, body: Readable): Promise<Parsed> =>
  new Promise((resolve, reject) => {
    const parsed: Parsed = { fields: {}, files: [] };
    const parser = busboy({ headers: { 'content-type': contentType }, defParamCharset: 'utf8' });
    parser.on('field', (name, value) => {
      parsed.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => parsed.files.push({ name, filename: info.filename ?? '', mimeType: info.mimeType, data: Buffer.concat(chunks).toString('utf8') }));
    });
    parser.on('close', () => resolve(parsed));
    parser.on('error', reject);
    body.pipe(parser);
  });

const lengthOf = async (body: Readable): Promise<number> => {
  let total = 0;
  for await (const chunk of body) total += (chunk as Buffer).length;
  return total;
};

describe('buildMultipartBody', () => {
  const content = '{"a":1}\n{"b":"ü"}\n';

  it('builds a body busboy reads back: fields, filename and bytes', async () => {
    const multipart = buildMultipartBody(
      [
        ['purpose', 'batch'],
        ['expires_after[anchor]', 'created_at'],
      ],
      { name: 'file', filename: 'dätä "q".jsonl', contentType: 'application/octet-stream', body: streamOf(content, 3), bytes: Buffer.byteLength(content) },
    );
    expect(multipart.contentType).toMatch(/^multipart\/form-data; boundary=-{4}batchgate[0-9a-f]{32}$/);
    const parsed = await parse(multipart.contentType, multipart.body);
    expect(parsed.fields).toEqual({ purpose: 'batch', 'expires_after[anchor]': 'created_at' });
    expect(parsed.files).toEqual([{ name: 'file', filename: 'dätä %22q%22.jsonl', mimeType: 'application/octet-stream', data: content }]);
  });

  it('computes the exact Content-Length when the file length is known', async () => {
    const multipart = buildMultipartBody([['purpose', 'batch']], {
      name: 'file',
      filename: 'x.jsonl',
      contentType: 'application/octet-stream',
      body: streamOf(content),
      bytes: Buffer.byteLength(content),
    });
    expect(multipart.contentLength).toBe(await lengthOf(multipart.body));
  });

  it('has no length for a file of unknown length', () => {
    const multipart = buildMultipartBody([], { name: 'file', filename: 'x', contentType: 'text/plain', body: streamOf(content), bytes: null });
    expect(multipart.contentLength).toBeNull();
  });

  it('uses a fresh random boundary every time', () => {
    const make = () => buildMultipartBody([], { name: 'file', filename: 'x', contentType: 'text/plain', body: streamOf(''), bytes: 0 }).contentType;
    expect(make()).not.toBe(make());
  });

  it('refuses to send a file whose length differs from the declared one', async () => {
    const short = buildMultipartBody([], { name: 'file', filename: 'x', contentType: 'text/plain', body: streamOf('abc'), bytes: 10 });
    await expect(lengthOf(short.body)).rejects.toThrow('multipart file part was 3 bytes, but 10 were declared');
    const long = buildMultipartBody([], { name: 'file', filename: 'x', contentType: 'text/plain', body: streamOf('abcdef'), bytes: 2 });
    await expect(lengthOf(long.body)).rejects.toThrow('but 2 were declared');
  });
});

/** JS heap plus Buffers: a buffering implementation would show up in either. */
const memoryInUse = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

describe('a 50 MB upload', () => {
  const KEY = 'sk-multipart-0123456789';
  const TARGET_BYTES = 50 * 1024 * 1024;
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: KEY });
  });
  afterAll(() => fake?.close());

  /** Generates batch lines on demand, hashing them as they go: the file never exists whole. */
  const generate = () => {
    const hash = createHash('sha256');
    let bytes = 0;
    async function* lines(): AsyncGenerator<Buffer> {
      const padding = 'p'.repeat(900);
      for (let i = 0; bytes < TARGET_BYTES; i++) {
        const line = Buffer.from(
          `${JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: padding }] } })}\n`,
        );
        bytes += line.length;
        hash.update(line);
        yield line;
      }
    }
    return { body: Readable.from(lines(), { objectMode: false }), digest: () => hash.digest('hex'), bytes: () => bytes };
  };

  it.each([
    ['chunked (length unknown)', false],
    ['with an exact Content-Length', true],
  ])('reaches the upstream intact, %s', async (_name, knownLength) => {
    const adapter = createOpenAIAdapter(deploymentOf('dep-big', 'openai', { api_base: fake.baseUrl, api_key: KEY }), { timeoutMs: 120_000 });
    // The exact length needs a dry run of the same deterministic generator.
    let declared: number | null = null;
    if (knownLength) {
      const dry = generate();
      for await (const chunk of dry.body) void chunk;
      declared = dry.bytes();
    }
    const source = generate();
    const baseline = memoryInUse();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryInUse());
    }, 5);
    try {
      const file = await adapter.uploadFile({ filename: 'big.jsonl', purpose: 'batch', body: source.body, bytes: declared, label: 'file-TESTLABEL000000000000000', expiresAfter: null }, opts());
      expect(file.bytes).toBe(source.bytes());
      expect(fake.fileSha256(file.ref)).toBe(source.digest());
      expect(fake.files.get(file.ref)?.lineCount).toBeGreaterThan(50_000);
    } finally {
      clearInterval(sampler);
    }
    // A buffering implementation needs the whole 50 MB at once (more with copies). Streaming needs
    // a few chunks, but garbage is collected lazily (and the fake shares this process), so the
    // bound is generous rather than tight.
    expect(peak - baseline).toBeLessThan(40 * 1024 * 1024);
  });
});
