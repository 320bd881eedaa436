/**
 * A managed upload far larger than the gateway's heap, fanned out to two deployments (issue 3,
 * "How it is shown"): the gateway runs as a process with `--max-old-space-size=64`, a 384 MB batch
 * file is validated line by line, spooled once, and streamed to two Azure accounts at the same
 * time, each copy with every line's `body.model` rewritten to that account's deployment name.
 * Each copy must arrive whole (every line, byte for byte what the rewrite of that line gives) and
 * the gateway's peak resident memory must stay well below the file's size, which it could not if
 * any layer held the file, or one of its copies, in memory (one account is made slow to start
 * reading, so its copy has to wait on backpressure while the other one streams).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMultipartBody } from '../../src/providers/shared/multipart.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import { ENV, GROUP, MASTER_KEY, UPSTREAM, managedYaml, startFakes, type Fakes } from '../integration/managed-support.js';

const FILE_BYTES = 384 * 1024 * 1024;
const HEAP_MB = 64;

interface Written {
  readonly bytes: number;
  readonly lines: number;
  /** sha256 of the file as each deployment must receive it: every line's body.model rewritten. */
  readonly expected: ReadonlyMap<string, { sha256: string; bytes: number }>;
}

/** Writes ~FILE_BYTES of valid batch lines naming the group, hashing each deployment's expected copy on the way. */
async function writeLargeBatchFile(path: string, models: readonly string[]): Promise<Written> {
  const out = createWriteStream(path);
  const hashes = new Map(models.map((m) => [m, { hash: createHash('sha256'), bytes: 0 }]));
  const padding = 'x'.repeat(9200); // ~9.3 KB lines: ~43,000 lines, under the 50,000-line limit
  const lineFor = (i: number, model: string): string =>
    `${JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model, messages: [{ role: 'user', content: `${i} ${padding}` }], max_tokens: 1 },
    })}\n`;
  let bytes = 0;
  let lines = 0;
  while (bytes < FILE_BYTES) {
    const text = lineFor(lines, GROUP);
    bytes += Buffer.byteLength(text);
    for (const [model, h] of hashes) {
      const rewritten = lineFor(lines, model);
      h.hash.update(rewritten);
      h.bytes += Buffer.byteLength(rewritten);
    }
    lines += 1;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes, lines, expected: new Map([...hashes].map(([m, h]) => [m, { sha256: h.hash.digest('hex'), bytes: h.bytes }])) };
}

describe('a managed upload far larger than the gateway heap, to two deployments', () => {
  let fakes: Fakes;
  let dir: TempDir;
  let gateway: SpawnedGateway;

  beforeAll(async () => {
    fakes = await startFakes();
    dir = await tempDir();
    const configPath = join(dir.path, 'config.yaml');
    // The batch group is served by the two Azure accounts only.
    await writeFile(configPath, managedYaml(fakes, { azureOnly: true, generalSettings: '  max_batch_file_size_mb: 400\n' }));
    gateway = await spawnGateway({ configPath, dataDir: join(dir.path, 'data'), env: ENV, nodeArgs: [`--max-old-space-size=${HEAP_MB}`] });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await fakes?.close();
    await dir?.remove();
  });

  it('streams a 384 MB file to both deployments intact, each rewritten, with bounded memory', async () => {
    const path = join(dir.path, 'big.jsonl');
    const written = await writeLargeBatchFile(path, [UPSTREAM.eu.model, UPSTREAM.us.model]);
    expect((await stat(path)).size).toBe(written.bytes);
    expect(written.lines).toBeLessThan(50_000);

    const multipart = buildMultipartBody(
      [
        ['purpose', 'batch'],
        ['target_model_names', GROUP],
      ],
      { name: 'file', filename: 'big.jsonl', contentType: 'application/jsonl', body: createReadStream(path), bytes: written.bytes },
    );
    // One account is slow to start reading: its copy must wait on backpressure, not pile up in memory.
    fakes.us.delayNext('uploadFile', 5_000);
    const res = await request(`${gateway.url}/v1/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${MASTER_KEY}`,
        'content-type': multipart.contentType,
        ...(multipart.contentLength === null ? {} : { 'content-length': String(multipart.contentLength) }),
      },
      body: multipart.body,
      headersTimeout: 600_000,
      bodyTimeout: 600_000,
    });
    const body = (await res.body.json()) as { id: string; bytes: number };
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    expect(body.id).toMatch(/^file-/);
    expect(body.bytes).toBe(written.bytes);

    for (const [fake, model] of [
      [fakes.eu, UPSTREAM.eu.model],
      [fakes.us, UPSTREAM.us.model],
    ] as const) {
      expect(fake.files.size).toBe(1);
      const [copy] = [...fake.files.values()];
      const expected = written.expected.get(model);
      expect(copy?.lineCount).toBe(written.lines);
      expect(copy?.invalidLines).toEqual([]);
      expect(fake.fileModels(copy?.id ?? '')).toEqual([model]);
      expect(copy?.bytes).toBe(expected?.bytes);
      expect(copy?.sha256).toBe(expected?.sha256);
    }
    expect(fakes.oa.files.size).toBe(0);

    // The copy read back through the gateway is the one a deployment holds, streamed the other way.
    const content = await request(`${gateway.url}/v1/files/${body.id}/content`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
      bodyTimeout: 600_000,
    });
    expect(content.statusCode).toBe(200);
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of content.body) {
      hash.update(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
    const digest = hash.digest('hex');
    const match = [...written.expected.values()].find((e) => e.sha256 === digest);
    expect(match?.bytes).toBe(received);

    const peak = await gateway.peakRssBytes();
    expect(peak, `peak RSS ${peak} bytes for a ${written.bytes}-byte file`).toBeLessThan(written.bytes * 0.625);
    // Keep the peak visible in the test output for whoever tunes this bound.
    console.info(`managed-large-upload: peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB for ${(written.bytes / 1024 / 1024).toFixed(0)} MB`);
  }, 900_000);
});
