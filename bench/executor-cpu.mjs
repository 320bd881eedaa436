#!/usr/bin/env node
/**
 * The gateway's CPU time per executed line (issue 14, point 3), a figure that a loaded machine
 * disturbs far less than requests/s: the built gateway executes a LINES-line chat batch (default
 * 20,000) against `bench/fake-upstream.mjs`; its user + system CPU from the create to `completed`
 * is read from /proc/<pid>/stat and divided by the lines. ENTRIES (comma-separated builds, e.g.
 * an older checkout's dist/bin/batchgate.js) are run in turn, RUNS times, medians compared.
 *
 *   npm run build && node bench/executor-cpu.mjs 3
 *   ENTRIES=/tmp/before/dist/bin/batchgate.js,dist/bin/batchgate.js node bench/executor-cpu.mjs 5
 */
import { alternateBuilds, chatJsonl, cpuMs, createBatch, executedChatConfig, machine, median, startFake, startGateway, stop, waitForBatch } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const LINES = Number(process.env.LINES ?? 20_000);
const ENTRIES = (process.env.ENTRIES ?? 'dist/bin/batchgate.js').split(',');
console.log(machine().text());
const fake = await startFake();
const config = executedChatConfig(fake.url);
const jsonl = chatJsonl(LINES);

async function once(entry) {
  process.env.BG_ENTRY = entry;
  const gw = await startGateway(config, { tag: 'exec-cpu' });
  try {
    let before = 0;
    let t0 = 0;
    const created = await createBatch(gw, jsonl, {
      onCreate: () => {
        before = cpuMs(gw.child.pid);
        t0 = performance.now();
      },
    });
    const batch = await waitForBatch(gw, created);
    if (batch.status !== 'completed') throw new Error(`batch ${batch.status}`);
    return { usPerLine: ((cpuMs(gw.child.pid) - before) * 1000) / LINES, linesPerS: LINES / ((performance.now() - t0) / 1000) };
  } finally {
    await stop(gw.child);
  }
}

const results = await alternateBuilds(ENTRIES, RUNS, once, (r) => `${r.usPerLine.toFixed(0)} µs CPU per line, ${Math.round(r.linesPerS)} lines/s`);
await stop(fake.child);
for (const [entry, rs] of results) {
  console.log(`executor-cpu: ${entry}: median ${median(rs.map((r) => r.usPerLine)).toFixed(0)} µs of gateway CPU per line, ${Math.round(median(rs.map((r) => r.linesPerS)))} lines/s (${LINES} lines, ${RUNS} runs)`);
}
