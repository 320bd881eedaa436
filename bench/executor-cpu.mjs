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
import { readFileSync } from 'node:fs';
import { machine, median, sleep, startFake, startGateway, stop } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const LINES = Number(process.env.LINES ?? 20_000);
const ENTRIES = (process.env.ENTRIES ?? 'dist/bin/batchgate.js').split(',');
const KEY = 'sk-bench';
const TICK_MS = 10; // USER_HZ is 100 on Linux

const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};

console.log(machine().text());
const fake = await startFake();
const config = `model_list:
  - model_name: bench-chat
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: sk-upstream, max_parallel_requests: 32 }
    model_info: { batch_execution: gateway }
general_settings:
  master_key: ${KEY}
`;
const auth = { authorization: `Bearer ${KEY}` };
const jsonl = Array.from({ length: LINES }, (_, i) =>
  JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'bench-chat', messages: [{ role: 'user', content: `request number ${i}: say hello` }], max_tokens: 16 } }),
).join('\n');

async function once(entry) {
  process.env.BG_ENTRY = entry;
  const gw = await startGateway(config, { tag: 'exec-cpu' });
  try {
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob([jsonl]), 'in.jsonl');
    const file = await (await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form })).json();
    const before = cpuMs(gw.child.pid);
    const t0 = performance.now();
    let batch = await (
      await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) })
    ).json();
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
      await sleep(100);
      batch = await (await fetch(`${gw.url}/v1/batches/${batch.id}`, { headers: auth })).json();
    }
    if (batch.status !== 'completed') throw new Error(`batch ${batch.status}`);
    return { usPerLine: ((cpuMs(gw.child.pid) - before) * 1000) / LINES, linesPerS: LINES / ((performance.now() - t0) / 1000) };
  } finally {
    await stop(gw.child);
  }
}

const results = new Map(ENTRIES.map((e) => [e, []]));
for (let run = 1; run <= RUNS; run++) {
  for (const entry of run % 2 === 1 ? ENTRIES : [...ENTRIES].reverse()) {
    const r = await once(entry);
    results.get(entry).push(r);
    console.log(`run ${run} ${entry}: ${r.usPerLine.toFixed(0)} µs CPU per line, ${Math.round(r.linesPerS)} lines/s`);
  }
}
await stop(fake.child);
for (const [entry, rs] of results) {
  console.log(`executor-cpu: ${entry}: median ${median(rs.map((r) => r.usPerLine)).toFixed(0)} µs of gateway CPU per line, ${Math.round(median(rs.map((r) => r.linesPerS)))} lines/s (${LINES} lines, ${RUNS} runs)`);
}
