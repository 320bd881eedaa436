#!/usr/bin/env node
/**
 * Memory of a gateway-executed batch against its size (issue 9, point 7): a 500-line and a
 * 50,000-line batch on a mock_response deployment, each run in a fresh gateway process (the built
 * `dist/`), several times; prints the median of the highest RSS while the batch executes (sampled
 * every 20 ms from its create to its end; the upload before it is not counted), their ratio, and
 * the lines per second. Run by hand: `npm run build && node bench/executor-memory.mjs [runs]`.
 *
 * Environment: SIZES=500,5000,50000 (batch sizes; the ratio compares the smallest and largest),
 * API_BASE=<url> (an OpenAI-compatible server runs the lines instead of mock_response),
 * MAX_PARALLEL=<n> (the deployment's max_parallel_requests, default 32),
 * BG_ENTRY=<a build's dist/bin/batchgate.js> (default this checkout's), GATEWAY_NODE_ARGS or NODE_ARGS (flags for the
 * gateway process), DETAIL=1 (anonymous RSS by kind of mapping at the
 * peak), GATEWAY_LOG=<file> (the gateway's stdout per run, with the bench's create and peak
 * marks; add NODE_ARGS=--trace-gc to see its GCs), SNAPSHOT_OVER_MB=<n> (with
 * NODE_ARGS=--heapsnapshot-signal=SIGUSR2: a heap snapshot when the growth first passes n MB).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI, { toFile } from 'openai';
import { gatewayNodeArgs } from './lib.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 3);
const SIZES = (process.env.SIZES ?? '500,50000').split(',').map(Number);
const KEY = 'sk-bench';

const DETAIL = process.env.DETAIL === '1';
// API_BASE=<url>: an OpenAI-compatible server executes the lines (gateway-executed `openai/`
// deployment) instead of mock_response; `bench/executor-throughput.mjs` passes its instant fake.
const MAX_PARALLEL = Number(process.env.MAX_PARALLEL ?? 32);
const DEPLOYMENT = process.env.API_BASE
  ? `    litellm_params: { model: openai/gpt-4o-mini, api_base: "${process.env.API_BASE}", api_key: sk-upstream, max_parallel_requests: ${MAX_PARALLEL} }
    model_info: { batch_execution: gateway }`
  : `    litellm_params: { model: openai/gpt-4o-mini, mock_response: "Hello from the benchmark", max_parallel_requests: ${MAX_PARALLEL} }`;
const SNAPSHOT_OVER_MB = Number(process.env.SNAPSHOT_OVER_MB ?? 0);

/**
 * With DETAIL=1, the anonymous RSS at each new peak by kind of mapping: `brk` is the main malloc
 * arena, `arenas` the 64 MB-aligned heaps of glibc's per-thread arenas (V8's compiler and GC
 * threads, libuv's pool), `other` the rest (V8's heap pages, large mmapped allocations).
 */
async function anonBreakdown(pid) {
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8');
  const out = { brk: 0, arenas: 0, other: 0 };
  let kind = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head !== null) {
      const [, start, , inode, name] = head;
      if (name === '[heap]') kind = 'brk';
      else if (inode !== '0' || name !== '') kind = null;
      else kind = BigInt(`0x${start}`) % (64n << 20n) === 0n ? 'arenas' : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null && kind !== null) out[kind] += Number(rss[1]) / 1024;
  }
  return `brk ${out.brk.toFixed(1)}, arenas ${out.arenas.toFixed(1)}, other ${out.other.toFixed(1)} MB`;
}

let spawned = 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runOnce(lines) {
  const dir = await mkdtemp(join(tmpdir(), 'bg-bench-exec-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `model_list:
  - model_name: demo
${DEPLOYMENT}
general_settings:
  master_key: ${KEY}
  max_batch_file_records: 1000000
  max_batch_file_size_mb: 1000
`,
  );
  const child = spawn(process.execPath, [...gatewayNodeArgs(), ...(process.env.NODE_ARGS ?? '').split(' ').filter(Boolean), resolve(ROOT, process.env.BG_ENTRY ?? 'dist/bin/batchgate.js'), 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'data')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // GATEWAY_LOG=<file>: the gateway's stdout (with NODE_ARGS=--trace-gc, its GC events) kept there.
  const log = process.env.GATEWAY_LOG ? createWriteStream(`${process.env.GATEWAY_LOG}.${lines}.${++spawned}`) : null;
  const spawnedAt = performance.now();
  const note = (text) => log?.write(`${Math.round(performance.now() - spawnedAt)} BENCH ${text}\n`);
  const url = await new Promise((res, rej) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      log?.write(`${Math.round(performance.now() - spawnedAt)} ${l}\n`);
      try {
        const e = JSON.parse(l);
        if (e.msg === 'batchgate listening') res(e.address);
      } catch {}
    });
    child.once('exit', (c) => rej(new Error(`gateway exited ${c}`)));
  });
  try {
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEY, maxRetries: 0 });
    const body = Array.from({ length: lines }, (_, i) =>
      JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: `request number ${i}` }] } }),
    ).join('\n');
    const file = await openai.files.create({ file: await toFile(Buffer.from(body), 'in.jsonl'), purpose: 'batch' });
    // The upload has its own memory (the previous issue's bench): measure the execution alone,
    // from the RSS when the batch is created to the highest RSS while it runs.
    // VmRSS, and at its peak what it is made of (anonymous: heaps; file: mapped files; shmem:
    // SQLite's WAL index), to tell the JS heap and malloc from the store's mappings.
    const status = async () => {
      const text = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)[1]) / 1024;
      return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
    };
    const base = await status();
    let detailedAt = base.rss;
    let peakDetail = null;
    let snapshotTaken = false;
    const baseDetail = DETAIL ? await anonBreakdown(child.pid) : null;
    const baseMb = base.rss;
    let maxMb = baseMb;
    let atPeak = base;
    const sampler = setInterval(
      () =>
        void status()
          .then((s) => {
            if (s.rss > maxMb) {
              [maxMb, atPeak] = [s.rss, { ...s, phase: `${phase} (${Math.round(performance.now() - started)} ms)` }];
              // SNAPSHOT_OVER_MB=<n> (with NODE_ARGS=--heapsnapshot-signal=SIGUSR2): one heap snapshot of
              // the gateway, in its working directory, the first time the growth passes n MB.
              if (SNAPSHOT_OVER_MB > 0 && !snapshotTaken && s.rss - baseMb > SNAPSHOT_OVER_MB) {
                snapshotTaken = true;
                note(`heap snapshot at ${s.rss.toFixed(1)} MB`);
                child.kill('SIGUSR2');
              }
              if (s.rss > detailedAt + 1) {
                note(`peak ${s.rss.toFixed(1)} MB (${phase})`);
                detailedAt = s.rss;
                if (DETAIL) void anonBreakdown(child.pid).then((b) => (peakDetail = b)).catch(() => {});
              }
            }
          })
          .catch(() => {}),
      20,
    );
    const started = performance.now();
    let phase = 'create';
    note(`create at ${baseMb.toFixed(1)} MB`);
    let batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
      phase = `${batch.status} ${batch.request_counts.completed}`;
      await new Promise((r) => setTimeout(r, 100));
      batch = await openai.batches.retrieve(batch.id);
    }
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    if (batch.status !== 'completed' || batch.request_counts.completed !== lines) throw new Error(`unexpected end: ${JSON.stringify(batch)}`);
    return { detail: peakDetail && `${baseDetail} at create → ${peakDetail} at the peak`, peakAt: atPeak.phase ?? 'create', peakMb: maxMb, growthMb: maxMb - baseMb, linesPerSecond: lines / seconds, anonMb: atPeak.anon - base.anon, fileMb: atPeak.file - base.file, shmemMb: atPeak.shmem - base.shmem };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    log?.end();
    await rm(dir, { recursive: true, force: true });
  }
}

const results = {};
for (let run = 0; run < RUNS; run++) {
  for (const size of SIZES) {
    const r = await runOnce(size);
    (results[size] ??= []).push(r);
    console.log(`run ${run + 1} size ${size}: peak RSS while executing ${r.peakMb.toFixed(1)} MB (+${r.growthMb.toFixed(1)} MB over the RSS at create: anon ${r.anonMb.toFixed(1)}, file ${r.fileMb.toFixed(1)}, shmem ${r.shmemMb.toFixed(1)}; at ${r.peakAt}${r.detail ? `; ${r.detail}` : ''}), ${Math.round(r.linesPerSecond)} lines/s`);
  }
}
const peak = Object.fromEntries(SIZES.map((s) => [s, median(results[s].map((r) => r.peakMb))]));
const growth = Object.fromEntries(SIZES.map((s) => [s, median(results[s].map((r) => r.growthMb))]));
const rate = Object.fromEntries(SIZES.map((s) => [s, median(results[s].map((r) => r.linesPerSecond))]));
for (const s of SIZES) {
  console.log(`median of ${RUNS}, ${s} lines: peak RSS ${peak[s].toFixed(1)} MB, growth +${growth[s].toFixed(1)} MB, ${Math.round(rate[s])} lines/s`);
}
const small = Math.min(...SIZES);
const large = Math.max(...SIZES);
console.log(
  `executor memory: median peak RSS while executing ${peak[small].toFixed(1)} MB (${small} lines) vs ${peak[large].toFixed(1)} MB (${large} lines): ratio ${(peak[large] / peak[small]).toFixed(2)} (target ≤ 1.10, "flat"); ` +
    `growth +${growth[small].toFixed(1)} vs +${growth[large].toFixed(1)} MB (target: within ~10 MB); median ${Math.round(rate[small])} / ${Math.round(rate[large])} lines/s`,
);
