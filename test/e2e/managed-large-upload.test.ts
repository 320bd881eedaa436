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
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import { downloadDigest, uploadStreaming, writeLargeBatchFile } from '../helpers/large-batch-file.js';
import { ENV, GROUP, MASTER_KEY, UPSTREAM, managedYaml, startFakes, type Fakes } from '../integration/managed-support.js';

const FILE_BYTES = 384 * 1024 * 1024;
const HEAP_MB = 64;

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
    const written = await writeLargeBatchFile(path, {
      targetBytes: FILE_BYTES,
      model: GROUP,
      rewrittenFor: [UPSTREAM.eu.model, UPSTREAM.us.model],
    });
    expect((await stat(path)).size).toBe(written.bytes);
    expect(written.lines).toBeLessThan(50_000);

    // One account is slow to start reading: its copy must wait on backpressure, not pile up in memory.
    fakes.us.delayNext('uploadFile', 5_000);
    const res = await uploadStreaming(gateway.url, MASTER_KEY, { path, bytes: written.bytes }, [
      ['purpose', 'batch'],
      ['target_model_names', GROUP],
    ]);
    const { body } = res;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.id).toMatch(/^file-/);
    expect(body.bytes).toBe(written.bytes);

    for (const [fake, model] of [
      [fakes.eu, UPSTREAM.eu.model],
      [fakes.us, UPSTREAM.us.model],
    ] as const) {
      expect(fake.files.size).toBe(1);
      const [copy] = [...fake.files.values()];
      const expected = written.rewritten.get(model);
      expect(copy?.lineCount).toBe(written.lines);
      expect(copy?.invalidLines).toEqual([]);
      expect(fake.fileModels(copy?.id ?? '')).toEqual([model]);
      expect(copy?.bytes).toBe(expected?.bytes);
      expect(copy?.sha256).toBe(expected?.sha256);
    }
    expect(fakes.oa.files.size).toBe(0);

    // The copy read back through the gateway is the one a deployment holds, streamed the other way.
    const content = await downloadDigest(gateway.url, MASTER_KEY, body.id);
    expect(content.status).toBe(200);
    const match = [...written.rewritten.values()].find((e) => e.sha256 === content.sha256);
    expect(match?.bytes).toBe(content.bytes);

    const peak = await gateway.peakRssBytes();
    expect(peak, `peak RSS ${peak} bytes for a ${written.bytes}-byte file`).toBeLessThan(written.bytes * 0.625);
    // Keep the peak visible in the test output for whoever tunes this bound.
    console.info(`managed-large-upload: peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB for ${(written.bytes / 1024 / 1024).toFixed(0)} MB`);
  }, 900_000);
});
