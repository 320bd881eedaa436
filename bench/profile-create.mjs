#!/usr/bin/env node
/**
 * A CPU profile of the gateway while it serves one call in a loop (one client, no concurrency),
 * to see where its time goes: `POST /v1/batches` by default (CALL=create), or a store-answered
 * `GET /v1/batches/{id}` (CALL=retrieve), `GET /v1/files/{id}` (CALL=file) or a full page of
 * `GET /v1/batches?limit=20` (CALL=list). Writes the
 * `.cpuprofile` into the temp folder and prints its self time by package, file and function
 * (`cpu-profile.mjs`; BG_ENTRY=dist/cli/main.js for source file names).
 *
 *   npm run build && node bench/profile-create.mjs [seconds]
 *   CALL=retrieve BG_ENTRY=dist/cli/main.js node bench/profile-create.mjs 5
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summariseProfile } from './cpu-profile.mjs';
import { cleanupSync, startFake, startGateway, stop } from './lib.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const CALL = process.env.CALL ?? 'create';
const KEY = 'sk-bench';
process.on('exit', cleanupSync);

const fake = await startFake();
const gw = await startGateway(
  `model_list:\n  - model_name: g\n    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: upstream-key }\ngeneral_settings:\n  master_key: ${KEY}\n  batch_poll_min_interval_seconds: 3600\n  batch_freshness_seconds: 3600\n`,
  { nodeArgs: ['--cpu-prof', '--cpu-prof-dir=prof'], logLevel: process.env.BG_LOG_LEVEL ?? 'warn', tag: 'prof' },
);
const headers = { authorization: `Bearer ${KEY}` };
const form = new FormData();
form.set('purpose', 'batch');
form.set('file', new Blob([`${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [] } })}\n`]), 'in.jsonl');
const file = await (await fetch(`${gw.url}/v1/files`, { method: 'POST', headers, body: form })).json();
const createBody = JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
const create = () => fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: createBody });
const batch = await (await create()).json();
// A listing page is full only with more batches than its limit.
if (CALL === 'list') for (let i = 0; i < 20; i += 1) await (await create()).arrayBuffer();
const calls = {
  create,
  retrieve: () => fetch(`${gw.url}/v1/batches/${batch.id}`, { headers }),
  file: () => fetch(`${gw.url}/v1/files/${file.id}`, { headers }),
  list: () => fetch(`${gw.url}/v1/batches?limit=20`, { headers }),
};
if (!(CALL in calls)) throw new Error(`CALL must be one of ${Object.keys(calls).join(', ')}`);
let n = 0;
const end = Date.now() + SECONDS * 1000;
while (Date.now() < end) {
  const res = await calls[CALL]();
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${CALL}: HTTP ${res.status}`);
  n += 1;
}
console.log(`${n} ${CALL} calls in ${SECONDS} s: ${(n / SECONDS).toFixed(0)}/s, ${((SECONDS * 1000) / n).toFixed(2)} ms each`);
await stop(gw.child, 'SIGINT');
await stop(fake.child);
const dir = join(gw.dir, 'prof');
console.log(summariseProfile(join(dir, readdirSync(dir)[0]), Number(process.env.TOP ?? 30)));
