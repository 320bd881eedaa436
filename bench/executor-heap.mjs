#!/usr/bin/env node
/**
 * Live memory of a gateway-executed batch (issue 9, point 7), in-process: the JS heap after a
 * full GC when the batch is created, half-way through, and at its end, for a given batch size, on
 * a mock_response deployment. Tells retained memory (what a leak would grow) from what V8 and the
 * allocator keep committed (what RSS shows). Run by hand:
 *   npm run build && node --expose-gc bench/executor-heap.mjs 500 && node --expose-gc bench/executor-heap.mjs 50000
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI, { toFile } from 'openai';

const ROOT = resolve(import.meta.dirname, '..');
const { loadConfig } = await import(join(ROOT, 'dist/config/load.js'));
const { composeGateway } = await import(join(ROOT, 'dist/server/compose.js'));
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const lines = Number(process.argv[2] ?? 50_000);
const dir = await mkdtemp(join(tmpdir(), 'bg-bench-heap-'));
await writeFile(
  join(dir, 'config.yaml'),
  `model_list:
  - model_name: demo
    litellm_params: { model: openai/gpt-4o-mini, mock_response: "Hello", max_parallel_requests: 32 }
general_settings:
  master_key: sk-bench
  max_batch_file_records: 100000
`,
);
const config = await loadConfig({ configPath: join(dir, 'config.yaml'), env: {}, overrides: { dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0 } });
const gw = await composeGateway(config, {});
const url = await gw.app.listen({ host: '127.0.0.1', port: 0 });
const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-bench', maxRetries: 0 });
const file = await openai.files.create({
  file: await toFile(
    Buffer.from(Array.from({ length: lines }, (_, i) => JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: `request ${i}` }] } })).join('\n')),
    'in.jsonl',
  ),
  purpose: 'batch',
});
const mb = (n) => (n / 1e6).toFixed(1);
const rssAnon = async () => Number(/RssAnon:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'))[1]) / 1024;
const snap = async () => {
  global.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, anonMb: await rssAnon() };
};
const before = await snap();
let batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
let mid = null;
while (!['completed', 'failed'].includes(batch.status)) {
  await new Promise((r) => setTimeout(r, 100));
  batch = await openai.batches.retrieve(batch.id);
  if (mid === null && batch.request_counts.completed > lines / 2) mid = await snap();
}
const after = await snap();
mid ??= after;
console.log(
  `executor heap, ${lines} lines: heap used after GC ${mb(before.heapUsed)} → ${mb(mid.heapUsed)} (half-way) → ${mb(after.heapUsed)} MB (end): +${mb(after.heapUsed - before.heapUsed)} MB retained; ` +
    `heap committed ${mb(before.heapTotal)} → ${mb(after.heapTotal)} MB; anonymous RSS ${before.anonMb.toFixed(0)} → ${after.anonMb.toFixed(0)} MB`,
);
await gw.close();
await rm(dir, { recursive: true, force: true });
