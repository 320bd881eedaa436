#!/usr/bin/env node
/**
 * CPU profile of the gateway executing one batch (issue 14, point 3: where the executor's time
 * goes): the built gateway runs with `--cpu-prof` against `bench/fake-upstream.mjs`, executes a
 * LINES-line chat batch (default 20,000), and is stopped; the profile's self time is then summed
 * by function and by package and the top entries printed.
 *
 *   npm run build && node bench/profile-executor.mjs            # PROFILE_DIR=<dir> keeps the .cpuprofile
 *   BG_ENTRY=dist/cli/main.js node bench/profile-executor.mjs   # unbundled: self time by source file
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summariseProfile } from './cpu-profile.mjs';
import { machine, sleep, startFake, startGateway, stop, tempDir } from './lib.mjs';

const LINES = Number(process.env.LINES ?? 20_000);
const PARALLEL = Number(process.env.PARALLEL ?? 32);
const KEY = 'sk-bench';
const profileDir = process.env.PROFILE_DIR ?? tempDir('exec-prof');

console.log(machine().text());
const fake = await startFake();
const config = `model_list:
  - model_name: bench-chat
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: sk-upstream, max_parallel_requests: ${PARALLEL} }
    model_info: { batch_execution: gateway }
general_settings:
  master_key: ${KEY}
`;
const gw = await startGateway(config, { tag: 'exec-prof', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`], logLevel: process.env.BG_LOG_LEVEL });
const auth = { authorization: `Bearer ${KEY}` };
const jsonl = Array.from({ length: LINES }, (_, i) =>
  JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'bench-chat', messages: [{ role: 'user', content: `request number ${i}: say hello` }], max_tokens: 16 } }),
).join('\n');
const form = new FormData();
form.set('purpose', 'batch');
form.set('file', new Blob([jsonl]), 'in.jsonl');
const file = await (await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form })).json();
const t0 = performance.now();
let batch = await (
  await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) })
).json();
while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
  await sleep(200);
  batch = await (await fetch(`${gw.url}/v1/batches/${batch.id}`, { headers: auth })).json();
}
const seconds = (performance.now() - t0) / 1000;
console.log(`${batch.status}: ${LINES} lines in ${seconds.toFixed(1)} s (${Math.round(LINES / seconds)} lines/s)`);
await stop(gw.child);
await stop(fake.child);

const name = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
console.log(`\n${summariseProfile(join(profileDir, name), Number(process.env.TOP ?? 40))}`);
if (process.env.PROFILE_DIR) console.log(`\nprofile kept in ${join(profileDir, name)}`);
