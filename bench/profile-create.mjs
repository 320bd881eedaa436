#!/usr/bin/env node
/**
 * A CPU profile of the gateway while it serves `POST /v1/batches` in a loop (one client, no
 * concurrency), to see where a create's 2 ms go. Writes the `.cpuprofile` into the temp folder
 * and prints the top self-time functions. `npm run build && node bench/profile-create.mjs [seconds]`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupSync, startFake, startGateway, stop } from './lib.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const KEY = 'sk-bench';
process.on('exit', cleanupSync);

const fake = await startFake();
const gw = await startGateway(
  `model_list:\n  - model_name: g\n    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: upstream-key }\ngeneral_settings:\n  master_key: ${KEY}\n  batch_poll_min_interval_seconds: 3600\n`,
  { nodeArgs: ['--cpu-prof', '--cpu-prof-dir=prof'], logLevel: 'warn', tag: 'prof' },
);
const headers = { authorization: `Bearer ${KEY}` };
const form = new FormData();
form.set('purpose', 'batch');
form.set('file', new Blob([`${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'g', messages: [] } })}\n`]), 'in.jsonl');
const file = await (await fetch(`${gw.url}/v1/files`, { method: 'POST', headers, body: form })).json();
const body = JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
let n = 0;
const end = Date.now() + SECONDS * 1000;
while (Date.now() < end) {
  const res = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  n += 1;
}
console.log(`${n} creates in ${SECONDS} s: ${(n / SECONDS).toFixed(0)}/s, ${((SECONDS * 1000) / n).toFixed(2)} ms each`);
await stop(gw.child, 'SIGINT');
await stop(fake.child);
const dir = join(gw.dir, 'prof');
const profile = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
profile.samples.forEach((id, i) => {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/.*\/(node_modules|dist)\//, '$1/')}:${lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
