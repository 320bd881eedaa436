#!/usr/bin/env node
/**
 * Metadata calls (issue 14, point 1): requests/s and p50/p99 latency of
 *   GET /v1/batches/{id} (an in-progress batch), GET /v1/files/{id}, POST /v1/batches and
 *   GET /v1/batches?limit=20
 * at concurrency 1, 16 and 64, for
 *   direct      the fake upstream (`bench/fake-upstream.mjs`) called straight,
 *   batchgate   the built gateway (`dist/bin/batchgate.js serve`, embedded SQLite, one `openai/`
 *               deployment whose api_base is the fake; default freshness, 2 s: a retrieve is
 *               answered from the store),
 *   bg-warn     the same with `--log-level warn` (the default, info, writes two log lines per
 *               request; this tells what that costs),
 *   bg-fresh0   batchgate with `batch_freshness_seconds: 0` (every retrieve reaches upstream;
 *               measured on the retrieve only; default log level),
 *   bg-before   batchgate as built by another checkout, when BEFORE_ENTRY=<its dist/bin/batchgate.js>
 *               is set: a change measured before and after in the same run, cell by cell,
 *   portkey     the Portkey AI gateway (`@portkey-ai/gateway` from the npm registry), bound to
 *               127.0.0.1, pointed at the fake with `x-portkey-provider: openai` and
 *               `x-portkey-custom-host: <fake>/v1`.
 * Every target runs in its own process; the load generator is autocannon (programmatic API, in
 * this process), one cell = a warm-up then a fixed duration; the targets of one cell are measured
 * one after the other, in the same run, and every figure is the median over the runs. Latency
 * percentiles are computed from every response's own time (autocannon's histogram rounds to
 * whole milliseconds, too coarse for a 0.2 ms target).
 *
 * The lifecycle worker's first poll is pushed out of the measurement
 * (`batch_poll_min_interval_seconds: 3600`): otherwise the thousands of batches POST /v1/batches
 * creates are polled during the later cells.
 *
 * Run by hand: `npm run build && node bench/metadata.mjs [runs]` (default 3 runs).
 * Environment: DURATION=<s> (per cell, default 5), WARMUP=<s> (default 1), CONCURRENCY=1,16,64,
 *   CALLS=retrieve,file,create,list (subset of the calls), TARGETS=direct,batchgate,bg-warn,bg-fresh0,portkey,
 *   BG_LOG_LEVEL=<level> (the gateway's --log-level; default: its own default, info),
 *   PORTKEY_VERSION=<npm version or tag> (default latest), AUTOCANNON_VERSION (default latest).
 * Peers are installed into a temp folder with `npm install --prefix <tmp>` each run; every process
 * and temp folder it starts is removed at the end, on Ctrl-C and on error.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, installPeers, machine, median, sleep, startFake, startGateway, stop, table, track, versionOf, cleanupSync } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const DURATION = Number(process.env.DURATION ?? 5);
const WARMUP = Number(process.env.WARMUP ?? 1);
const CONCURRENCY = (process.env.CONCURRENCY ?? '1,16,64').split(',').map(Number);
const CALLS = (process.env.CALLS ?? 'retrieve,file,create,list').split(',');
const TARGETS = (process.env.TARGETS ?? 'direct,batchgate,bg-warn,bg-fresh0,portkey').split(',');
const KEY = 'sk-bench';
const UPSTREAM_KEY = 'sk-upstream';

const m = machine();
console.log(m.text());
console.log(`runs ${RUNS}, ${WARMUP} s warm-up + ${DURATION} s per cell, concurrency ${CONCURRENCY.join('/')}`);

const peers = installPeers([`autocannon@${process.env.AUTOCANNON_VERSION ?? 'latest'}`, ...(TARGETS.includes('portkey') ? [`@portkey-ai/gateway@${process.env.PORTKEY_VERSION ?? 'latest'}`] : [])]);
const autocannon = createRequire(join(peers, 'package.json'))('autocannon');
console.log(`autocannon ${versionOf(peers, 'autocannon')}${TARGETS.includes('portkey') ? `, @portkey-ai/gateway ${versionOf(peers, '@portkey-ai/gateway')}` : ''}`);

// --- the fake upstream, and what exists on it -------------------------------------------------
const fake = await startFake();
const JSONL = `${JSON.stringify({ custom_id: 'r1', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } })}\n`;

async function upload(base, headers = {}) {
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([JSONL]), 'requests.jsonl');
  const r = await fetch(`${base}/v1/files`, { method: 'POST', headers, body: form });
  if (!r.ok) throw new Error(`upload to ${base}: ${r.status} ${await r.text()}`);
  return (await r.json()).id;
}
const createBody = (fileId) => JSON.stringify({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
async function createBatch(base, fileId, headers = {}) {
  const r = await fetch(`${base}/v1/batches`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: createBody(fileId) });
  if (!r.ok) throw new Error(`batch create on ${base}: ${r.status} ${await r.text()}`);
  return (await r.json()).id;
}

const directHeaders = { authorization: `Bearer ${UPSTREAM_KEY}` };
const direct = { name: 'direct', base: fake.url, headers: directHeaders };
direct.fileId = await upload(fake.url, directHeaders);
for (let i = 0; i < 25; i++) direct.batchId = await createBatch(fake.url, direct.fileId, directHeaders);

// --- batchgate ----------------------------------------------------------------------------------
const gatewayConfig = (freshness) => `model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: ${UPSTREAM_KEY} }
general_settings:
  master_key: ${KEY}
  batch_poll_min_interval_seconds: 3600
  proxy_batch_polling_interval: 7200
${freshness === undefined ? '' : `  batch_freshness_seconds: ${freshness}\n`}`;

const targets = [direct];
async function addGateway(name, freshness, logLevel, entry) {
  const gw = await startGateway(gatewayConfig(freshness), { logLevel, tag: name, entry });
  const headers = { authorization: `Bearer ${KEY}` };
  const t = { name, base: gw.url, headers, child: gw.child, pid: gw.child.pid };
  t.fileId = await upload(gw.url, headers);
  for (let i = 0; i < 25; i++) t.batchId = await createBatch(gw.url, t.fileId, headers);
  targets.push(t);
}
if (TARGETS.includes('batchgate')) await addGateway('batchgate', undefined, process.env.BG_LOG_LEVEL);
if (process.env.BEFORE_ENTRY) await addGateway('bg-before', undefined, process.env.BG_LOG_LEVEL, process.env.BEFORE_ENTRY);
if (TARGETS.includes('bg-warn')) await addGateway('bg-warn', undefined, 'warn');
if (TARGETS.includes('bg-fresh0') && CALLS.includes('retrieve')) await addGateway('bg-fresh0', 0, process.env.BG_LOG_LEVEL);

// --- Portkey --------------------------------------------------------------------------------------
if (TARGETS.includes('portkey')) {
  // Portkey's start-server listens on every interface (`serve({fetch, port})`, no hostname); a
  // preload binds a listen() given no host to 127.0.0.1 instead, without touching its code.
  const preload = join(peers, 'bind-loopback.mjs');
  writeFileSync(
    preload,
    `import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    if (args[1] === undefined) args[1] = '127.0.0.1'; else args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
`,
  );
  const port = await freePort();
  const child = track(
    spawn(process.execPath, ['--import', preload, join(peers, 'node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${port}`, '--headless'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: peers,
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`portkey exited ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {}
    if (i > 300) throw new Error('portkey did not start');
    await sleep(100);
  }
  const headers = { authorization: `Bearer ${UPSTREAM_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${fake.url}/v1` };
  // Portkey keeps no objects: its ids are the upstream's.
  targets.push({ name: 'portkey', base, headers, child, pid: child.pid, fileId: direct.fileId, batchId: direct.batchId });
}

// --- the calls --------------------------------------------------------------------------------
const CALL = {
  retrieve: { label: 'GET /v1/batches/{id}', request: (t) => ({ method: 'GET', path: `/v1/batches/${t.batchId}` }) },
  file: { label: 'GET /v1/files/{id}', request: (t) => ({ method: 'GET', path: `/v1/files/${t.fileId}` }) },
  create: { label: 'POST /v1/batches', request: (t) => ({ method: 'POST', path: '/v1/batches', body: createBody(t.fileId), json: true }) },
  list: { label: 'GET /v1/batches?limit=20', request: (t) => ({ method: 'GET', path: '/v1/batches?limit=20' }) },
};
const targetsFor = (call) => targets.filter((t) => t.name !== 'bg-fresh0' || call === 'retrieve');

// Every target answers every call before anything is measured.
for (const call of CALLS) {
  for (const t of targetsFor(call)) {
    const r = CALL[call].request(t);
    const res = await fetch(`${t.base}${r.path}`, { method: r.method, headers: { ...t.headers, ...(r.json ? { 'content-type': 'application/json' } : {}) }, body: r.body });
    const text = await res.text();
    if (!res.ok) throw new Error(`${t.name} ${CALL[call].label}: ${res.status} ${text.slice(0, 500)}`);
    if (call === 'list' && JSON.parse(text).data?.length !== 20) throw new Error(`${t.name} list: ${text.slice(0, 300)}`);
  }
}

function fire(t, call, connections, duration, record) {
  const r = CALL[call].request(t);
  const latencies = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${t.base}${r.path}`,
        method: r.method,
        headers: { ...t.headers, ...(r.json ? { 'content-type': 'application/json' } : {}) },
        body: r.body,
        connections,
        duration,
      },
      (err, result) => (err ? reject(err) : resolve({ result, latencies })),
    );
    if (record) {
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) latencies.push(ms);
      });
    }
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const results = {}; // `${call}|${conc}|${target}` → [{rps, p50, p99}]
const startedAt = Date.now();
for (let run = 1; run <= RUNS; run++) {
  for (const call of CALLS) {
    for (const conc of CONCURRENCY) {
      for (const t of targetsFor(call)) {
        await fire(t, call, conc, WARMUP, false);
        const { result, latencies } = await fire(t, call, conc, DURATION, true);
        latencies.sort((a, b) => a - b);
        const cell = { rps: latencies.length / result.duration, p50: percentile(latencies, 50), p99: percentile(latencies, 99), non2xx: result.non2xx, errors: result.errors };
        (results[`${call}|${conc}|${t.name}`] ??= []).push(cell);
        const bad = cell.non2xx + cell.errors > 0 ? ` (${cell.non2xx} non-2xx, ${cell.errors} errors!)` : '';
        console.log(`run ${run} ${CALL[call].label} c=${conc} ${t.name}: ${Math.round(cell.rps)} req/s, p50 ${cell.p50.toFixed(3)} ms, p99 ${cell.p99.toFixed(3)} ms${bad}`);
      }
    }
  }
}
console.log(`measured in ${Math.round((Date.now() - startedAt) / 1000)} s`);

// --- the summary --------------------------------------------------------------------------------
const med = (call, conc, name, key) => {
  const cells = results[`${call}|${conc}|${name}`];
  return cells === undefined ? NaN : median(cells.map((c) => c[key]));
};
const fmtRps = (x) => (Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x) => (Number.isNaN(x) ? '–' : x.toFixed(2));
const ratio = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? '–' : `${(a / b).toFixed(2)}×`);
const names = targets.map((t) => t.name);
const gateways = names.filter((n) => n === 'batchgate' || n.startsWith('bg-'));
const ratioCols = gateways.flatMap((g) => [[g, 'direct'], ...(names.includes('portkey') ? [[g, 'portkey']] : [])]);
const rows = [['call', 'c', ...names.map((n) => `${n} req/s`), ...names.map((n) => `${n} p50/p99 ms`), ...ratioCols.map(([a, b]) => `${a}/${b}`)]];
for (const call of CALLS) {
  for (const conc of CONCURRENCY) {
    const rps = Object.fromEntries(names.map((n) => [n, med(call, conc, n, 'rps')]));
    rows.push([
      CALL[call].label,
      conc,
      ...names.map((n) => fmtRps(rps[n])),
      ...names.map((n) => `${fmtMs(med(call, conc, n, 'p50'))} / ${fmtMs(med(call, conc, n, 'p99'))}`),
      ...ratioCols.map(([a, b]) => ratio(rps[a], rps[b])),
    ]);
  }
}
console.log(`\nmedians of ${RUNS} runs (${DURATION} s each, after ${WARMUP} s warm-up)\n`);
console.log(table(rows));

// Targets: ≥ 1× direct for calls answered from the store (a retrieve within the freshness bound,
// a file retrieve, the list), ≥ 0.6× direct for calls that must reach upstream (create; a retrieve
// with freshness 0), ≥ 3× Portkey, added p50 ≤ 0.2 ms at concurrency 1.
const fromStore = { retrieve: true, file: true, list: true, create: false };
const lines = [];
for (const call of CALLS) {
  const variants = gateways.filter((g) => g !== 'bg-fresh0' || call === 'retrieve').map((g) => [g, g === 'bg-fresh0' ? false : fromStore[call]]);
  for (const [name, store] of variants) {
    if (!names.includes(name)) continue;
    const vsDirect = CONCURRENCY.map((c) => med(call, c, name, 'rps') / med(call, c, 'direct', 'rps'));
    const vsPortkey = names.includes('portkey') ? CONCURRENCY.map((c) => med(call, c, name, 'rps') / med(call, c, 'portkey', 'rps')) : [];
    const added = CONCURRENCY.includes(1) ? med(call, 1, name, 'p50') - med(call, 1, 'direct', 'p50') : NaN;
    const need = store ? 1 : 0.6;
    const ok = (xs, t) => (xs.length === 0 ? '' : Math.min(...xs) >= t ? 'met' : 'MISSED');
    lines.push(
      `${CALL[call].label} ${name}${call === 'retrieve' ? (store ? ' (answered from the store)' : ' (every retrieve reaches upstream)') : store ? ' (answered from the store)' : ' (reaches upstream)'}: ` +
        `${vsDirect.map((x) => x.toFixed(2)).join('/')}× direct (target ≥ ${need}×: ${ok(vsDirect, need)})` +
        (vsPortkey.length ? `, ${vsPortkey.map((x) => x.toFixed(2)).join('/')}× Portkey (target ≥ 3×: ${ok(vsPortkey, 3)})` : '') +
        (Number.isNaN(added) ? '' : `, added p50 at c=1 ${added >= 0 ? '+' : ''}${added.toFixed(3)} ms (target ≤ 0.2 ms: ${added <= 0.2 ? 'met' : 'MISSED'})`),
    );
  }
}
console.log(`\nagainst the targets (concurrency ${CONCURRENCY.join('/')}):`);
for (const l of lines) console.log(`- ${l}`);
const retrieveLine = lines.find((l) => l.startsWith('GET /v1/batches/{id} batchgate'));
console.log(`\nmetadata: ${retrieveLine ?? lines[0] ?? 'no cells measured'}`);

for (const t of targets) if (t.child) await stop(t.child);
await stop(fake.child);
cleanupSync();
