#!/usr/bin/env node
/**
 * The lifecycle worker's CPU time per poll (issue 14, point 4: what a backlog of polls costs), a
 * figure that a loaded machine disturbs far less than polls/s. BATCHES batches (default 2,000)
 * are created on `bench/fake-upstream.mjs` (they stay `in_progress` for ever) with the poll
 * interval pinned at 0.2 s, so the worker always has more due than it can take and runs flat out;
 * after a WARMUP_S settle (default 3 s), the gateway's user + system CPU over WINDOW_S seconds
 * (default 15, read from /proc/<pid>/stat) is divided by the polls the fake answered in the same
 * window. ENTRIES (comma-separated builds) are run in turn, RUNS times, medians compared.
 *
 *   npm run build && node bench/poll-cpu.mjs 3
 *   BG_ENTRY=dist/cli/main.js NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node bench/poll-cpu.mjs 1   # then bench/cpu-profile.mjs
 *   ENTRIES=/tmp/before/dist/bin/batchgate.js,dist/bin/batchgate.js node bench/poll-cpu.mjs 5
 */
import { alternateBuilds, cpuMs, machine, median, sleep, startFake, startGateway, stop } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const BATCHES = Number(process.env.BATCHES ?? 2_000);
const WARMUP_S = Number(process.env.WARMUP_S ?? 3);
const WINDOW_S = Number(process.env.WINDOW_S ?? 15);
const ENTRIES = (process.env.ENTRIES ?? 'dist/bin/batchgate.js').split(',');
const KEY = 'sk-bench';
const auth = { authorization: `Bearer ${KEY}` };
console.log(machine().text());
const fake = await startFake();
const config = `model_list:
  - model_name: bench-group
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: sk-upstream }
general_settings:
  master_key: ${KEY}
  batch_poll_min_interval_seconds: 0.2
  proxy_batch_polling_interval: 0.2
`;
const requests = async () => (await (await fetch(`${fake.url}/_stats`)).json()).requests;

async function once(entry) {
  process.env.BG_ENTRY = entry;
  const gw = await startGateway(config, { logLevel: 'warn', tag: 'poll-cpu', nodeArgs: (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean) });
  try {
    const form = new FormData();
    form.set('purpose', 'batch');
    const line = { custom_id: 'r0', method: 'POST', url: '/v1/chat/completions', body: { model: 'bench-group', messages: [{ role: 'user', content: 'hi' }] } };
    form.set('file', new Blob([`${JSON.stringify(line)}\n`]), 'poll.jsonl');
    const up = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form });
    if (!up.ok) throw new Error(`upload: ${up.status} ${await up.text()}`);
    const body = JSON.stringify({ input_file_id: (await up.json()).id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let next = 0;
    const creator = async () => {
      while (next++ < BATCHES) {
        const r = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
        if (!r.ok) throw new Error(`create: ${r.status} ${await r.text()}`);
        await r.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, creator));
    await sleep(WARMUP_S * 1000);
    // Two /_stats calls bracket the window; the first is counted in the second's figure.
    const r0 = await requests();
    const c0 = cpuMs(gw.child.pid);
    await sleep(WINDOW_S * 1000);
    const c1 = cpuMs(gw.child.pid);
    const polls = (await requests()) - r0 - 1;
    return { usPerPoll: ((c1 - c0) * 1000) / polls, pollsPerS: polls / WINDOW_S, cores: (c1 - c0) / 1000 / WINDOW_S };
  } finally {
    await stop(gw.child);
  }
}

const results = await alternateBuilds(ENTRIES, RUNS, once, (r) => `${r.usPerPoll.toFixed(0)} µs CPU per poll, ${Math.round(r.pollsPerS)} polls/s, ${r.cores.toFixed(2)} cores`);
await stop(fake.child);
for (const [entry, rs] of results) {
  console.log(
    `poll-cpu: ${entry}: median ${median(rs.map((r) => r.usPerPoll)).toFixed(0)} µs of gateway CPU per poll, ${Math.round(median(rs.map((r) => r.pollsPerS)))} polls/s ` +
      `(${BATCHES} batches always due, ${RUNS} runs; a core keeps up with ${Math.round(1e6 / median(rs.map((r) => r.usPerPoll)))} polls/s)`,
  );
}
