/**
 * A batch file far larger than the gateway's heap passes through intact: the gateway runs as a
 * process with `--max-old-space-size=64` and a 384 MB upload is validated line by line, spooled
 * and streamed to the upstream, then downloaded again. Its peak resident memory must stay well
 * below the file's size, which it could not if any layer held the file (heap or Buffers) in
 * memory. (Measured: the peak is ~155-180 MB of fixed runtime cost for a 32 MB file and a 256 MB
 * file alike; it does not grow with the file.)
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMultipartBody } from '../../src/providers/shared/multipart.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { spawnGateway, tempDir, type SpawnedGateway, type TempDir } from '../helpers/gateway.js';

const FILE_BYTES = 384 * 1024 * 1024;
const HEAP_MB = 64;

/** Writes ~FILE_BYTES of valid batch lines, each padded to a fixed length. */
async function writeLargeBatchFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  const padding = 'x'.repeat(9200); // ~9.3 KB lines: under the 50,000-line limit
  let bytes = 0;
  for (let i = 0; bytes < FILE_BYTES; i++) {
    const line = `${JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: padding }] },
    })}\n`;
    bytes += Buffer.byteLength(line);
    hash.update(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes, sha256: hash.digest('hex') };
}

const sha256Of = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

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
    const { bytes, sha256 } = await writeLargeBatchFile(path);
    expect((await stat(path)).size).toBe(bytes);

    const multipart = buildMultipartBody([['purpose', 'batch']], {
      name: 'file',
      filename: 'big.jsonl',
      contentType: 'application/jsonl',
      body: createReadStream(path),
      bytes,
    });
    const res = await request(`${gateway.url}/v1/files`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-master',
        'content-type': multipart.contentType,
        ...(multipart.contentLength === null ? {} : { 'content-length': String(multipart.contentLength) }),
      },
      body: multipart.body,
      headersTimeout: 600_000,
      bodyTimeout: 600_000,
    });
    const body = (await res.body.json()) as { id: string; bytes: number };
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    expect(body.bytes).toBe(bytes);

    const [upstreamId] = [...fake.files.keys()];
    expect(fake.fileSha256(upstreamId ?? '')).toBe(sha256);

    // Content comes back byte for byte, streamed the other way.
    const download = join(dir.path, 'download.jsonl');
    const content = await request(`${gateway.url}/v1/files/${body.id}/content`, {
      headers: { authorization: 'Bearer sk-master' },
      bodyTimeout: 600_000,
    });
    expect(content.statusCode).toBe(200);
    const sink = createWriteStream(download);
    for await (const chunk of content.body) if (!sink.write(chunk)) await once(sink, 'drain');
    sink.end();
    await once(sink, 'finish');
    expect(await sha256Of(download)).toBe(sha256);

    const peak = await gateway.peakRssBytes();
    expect(peak, `peak RSS ${peak} bytes`).toBeLessThan(bytes * 0.625);
  }, 600_000);
});
