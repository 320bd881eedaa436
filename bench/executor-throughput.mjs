#!/usr/bin/env node
/**
 * Gateway-executed batches (issue 14, point 3): a 50,000-line batch executed by the built gateway
 * against an instant OpenAI-compatible chat server (`bench/fake-upstream.mjs`,
 * `POST /v1/chat/completions` answered at once with a fixed body), against autocannon sending the
 * same request body to the same server at the same concurrency.
 *
 * The concurrency: a gateway-executed deployment has at most `max_parallel_requests` requests in
 * flight per process (README "Gateway-executed batches"; default 8), whatever
 * `general_settings.executor_concurrency` (chunks run at once, default 4) says; a chunk of
 * `executor_chunk_lines` (default 200) drains before it ends, so executor_concurrency ≥ 2 keeps
 * the deployment's slots full across chunk ends. This bench sets max_parallel_requests = PARALLEL
 * (default 32), leaves executor_concurrency at its default 4 (4 chunks × their lines ≥ 32 slots)
 * and gives autocannon PARALLEL connections.
 *
 * Reports medians over the runs: the gateway's lines/s from the create to `completed` (validation,
 * execution and finalisation: what a client sees) and over the sending phase alone (first line
 * answered to the last, from `request_counts` polled every 100 ms), autocannon's requests/s, and
 * the ratio against the target (≥ 80%). Then the gateway's RSS at 500 vs 50,000 lines against the
 * same fake, measured by `bench/executor-memory.mjs` (called with API_BASE pointing at the fake).
 *
 * Run by hand: `npm run build && node bench/executor-throughput.mjs [runs]` (default 3).
 * Environment: LINES=50000, PARALLEL=32, EXECUTOR_CONCURRENCY (unset: the default, 4),
 *   DURATION=<s> (autocannon per run, default 5), MEMORY=0 (skip the RSS part), MEMORY_RUNS
 *   (default: runs), BG_LOG_LEVEL, AUTOCANNON_VERSION.
 * Every process and temp folder it starts is removed at the end, on Ctrl-C and on error.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH, installPeers, machine, median, startFake, startGateway, stop, track, versionOf, cleanupSync, chatBody, chatJsonl, createBatch, executedChatConfig, waitForBatch } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const LINES = Number(process.env.LINES ?? 50_000);
const PARALLEL = Number(process.env.PARALLEL ?? 32);
const DURATION = Number(process.env.DURATION ?? 5);
const KEY = 'sk-bench';

console.log(machine().text());
const peers = installPeers([`autocannon@${process.env.AUTOCANNON_VERSION ?? 'latest'}`]);
const autocannon = createRequire(join(peers, 'package.json'))('autocannon');
console.log(`autocannon ${versionOf(peers, 'autocannon')}; ${LINES} lines, max_parallel_requests ${PARALLEL}, executor_concurrency ${process.env.EXECUTOR_CONCURRENCY ?? '4 (default)'}, runs ${RUNS}`);

const fake = await startFake();
const jsonl = chatJsonl(LINES);
const config = executedChatConfig(fake.url, {
  key: KEY,
  parallel: PARALLEL,
  extra: `  max_batch_file_records: ${Math.max(LINES, 50_000)}\n${process.env.EXECUTOR_CONCURRENCY ? `  executor_concurrency: ${process.env.EXECUTOR_CONCURRENCY}\n` : ''}`,
});

async function gatewayRun() {
  const gw = await startGateway(config, { tag: 'exec-gw', logLevel: process.env.BG_LOG_LEVEL });
  try {
    let t0 = 0;
    let firstAt = null;
    let lastAt = null;
    let firstCount = 0;
    const created = await createBatch(gw, jsonl, { key: KEY, onCreate: () => (t0 = performance.now()) });
    const batch = await waitForBatch(gw, created, {
      key: KEY,
      onPoll: (b) => {
        const done = b.request_counts.completed + b.request_counts.failed;
        const at = performance.now();
        if (firstAt === null && done > 0) [firstAt, firstCount] = [at, done];
        if (lastAt === null && done >= LINES) lastAt = at;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    if (batch.status !== 'completed' || batch.request_counts.completed !== LINES) throw new Error(`unexpected end: ${JSON.stringify(batch).slice(0, 800)}`);
    lastAt ??= performance.now();
    const sending = firstAt === null || lastAt <= firstAt ? NaN : (LINES - firstCount) / ((lastAt - firstAt) / 1000);
    return { total: LINES / seconds, sending, seconds };
  } finally {
    await stop(gw.child);
  }
}

function loadRun() {
  return new Promise((resolve, reject) => {
    let ok = 0;
    const instance = autocannon(
      {
        url: `${fake.url}/v1/chat/completions`,
        method: 'POST',
        headers: { authorization: 'Bearer sk-upstream', 'content-type': 'application/json' },
        body: JSON.stringify(chatBody(12345)),
        connections: PARALLEL,
        duration: DURATION,
      },
      (err, result) => (err ? reject(err) : resolve({ rps: ok / result.duration, non2xx: result.non2xx, errors: result.errors })),
    );
    instance.on('response', (_c, status) => {
      if (status >= 200 && status < 300) ok++;
    });
  });
}

const rows = [];
for (let run = 1; run <= RUNS; run++) {
  // Alternated, so a drift in the machine's load does not favour one side.
  const order = run % 2 === 1 ? ['gateway', 'load'] : ['load', 'gateway'];
  const row = {};
  for (const side of order) {
    if (side === 'gateway') {
      row.gateway = await gatewayRun();
      console.log(`run ${run} gateway: ${Math.round(row.gateway.total)} lines/s create→completed (${row.gateway.seconds.toFixed(1)} s), ${Math.round(row.gateway.sending)} lines/s while sending`);
    } else {
      row.load = await loadRun();
      console.log(`run ${run} autocannon c=${PARALLEL}: ${Math.round(row.load.rps)} req/s${row.load.non2xx + row.load.errors > 0 ? ` (${row.load.non2xx} non-2xx, ${row.load.errors} errors!)` : ''}`);
    }
  }
  rows.push(row);
}
const total = median(rows.map((r) => r.gateway.total));
const sending = median(rows.map((r) => r.gateway.sending));
const load = median(rows.map((r) => r.load.rps));
console.log(`\nmedians of ${RUNS} runs at concurrency ${PARALLEL}:`);
console.log(`| | requests/s | vs autocannon |\n|---|---:|---:|`);
console.log(`| autocannon, ${PARALLEL} connections | ${Math.round(load).toLocaleString('en-US')} | 100% |`);
console.log(`| gateway, sending phase | ${Math.round(sending).toLocaleString('en-US')} | ${((100 * sending) / load).toFixed(0)}% |`);
console.log(`| gateway, create → completed | ${Math.round(total).toLocaleString('en-US')} | ${((100 * total) / load).toFixed(0)}% |`);
const summary = `executor throughput: ${((100 * total) / load).toFixed(0)}% of autocannon create→completed, ${((100 * sending) / load).toFixed(0)}% while sending (target ≥ 80%: ${sending / load >= 0.8 ? 'met' : 'MISSED'} while sending, ${total / load >= 0.8 ? 'met' : 'MISSED'} end to end)`;

let memory = null;
if (process.env.MEMORY !== '0') {
  // RSS flat in batch size: bench/executor-memory.mjs against the same fake.
  console.log(`\nRSS at 500 vs ${LINES} lines: node bench/executor-memory.mjs ${process.env.MEMORY_RUNS ?? RUNS} (API_BASE=${fake.url}/v1, MAX_PARALLEL=${PARALLEL})`);
  const child = track(
    spawn(process.execPath, [join(BENCH, 'executor-memory.mjs'), String(process.env.MEMORY_RUNS ?? RUNS)], {
      env: { ...process.env, API_BASE: `${fake.url}/v1`, MAX_PARALLEL: String(PARALLEL), SIZES: `500,${LINES}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  for await (const line of createInterface({ input: child.stdout })) {
    console.log(`  ${line}`);
    if (line.startsWith('executor memory:')) memory = line;
  }
  if (child.exitCode !== 0 && child.exitCode !== null) console.log(`  executor-memory.mjs exited ${child.exitCode}`);
}
console.log(`\n${summary}`);
if (memory) console.log(memory);

await stop(fake.child);
cleanupSync();
