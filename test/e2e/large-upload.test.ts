/**
 * A batch file far larger than the gateway's heap passes through intact: the gateway runs as a
 * process with `--max-old-space-size=64` and a 384 MB upload is validated line by line, spooled
 * and streamed to the upstream, then downloaded again. Its peak resident memory must stay well
 * below the file's size, which it could not if any layer held the file (heap or Buffers) in
 * memory. (Measured: the peak is ~155-180 MB of fixed runtime cost for a 32 MB file and a 256 MB
 * file alike; it does not grow with the file.)
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';
import { downloadDigest, uploadStreaming, writeLargeBatchFile } from '../helpers/large-batch-file.js';

const FILE_BYTES = 384 * 1024 * 1024;
const HEAP_MB = 64;

describe('an upload far larger than the gateway heap', () => {
  let fake: FakeUpstream;
  let dir: TempDir;
  let gateway: SpawnedGateway;

  beforeAll(async () => {
    fake = await startFakeUpstream({ flavor: 'openai', apiKey: 'sk-up' });
    dir = await tempDir();
    const configPath = join(dir.path, 'config.yaml');
    await writeFile(
      configPath,
      `model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.baseUrl}", api_key: sk-up }
general_settings:
  master_key: sk-master
  max_batch_file_size_mb: 400
`,
    );
    gateway = await spawnGateway({ configPath, dataDir: join(dir.path, 'data'), nodeArgs: [`--max-old-space-size=${HEAP_MB}`] });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await fake?.close();
    await dir?.remove();
  });

  it('streams a 384 MB batch file through intact with bounded memory', async () => {
    const path = join(dir.path, 'big.jsonl');
    const { bytes, sha256 } = await writeLargeBatchFile(path, { targetBytes: FILE_BYTES, model: 'gpt-4o-mini' });
    expect((await stat(path)).size).toBe(bytes);

    const res = await uploadStreaming(gateway.url, 'sk-master', { path, bytes }, [['purpose', 'batch']]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.bytes).toBe(bytes);

    const [upstreamId] = [...fake.files.keys()];
    expect(fake.fileSha256(upstreamId ?? '')).toBe(sha256);

    // Content comes back byte for byte, streamed the other way.
    const content = await downloadDigest(gateway.url, 'sk-master', res.body.id);
    expect(content.status).toBe(200);
    expect(content.sha256).toBe(sha256);

    const peak = await gateway.peakRssBytes();
    expect(peak, `peak RSS ${peak} bytes`).toBeLessThan(bytes * 0.625);
  }, 600_000);
});
