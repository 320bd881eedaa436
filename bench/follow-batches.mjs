#!/usr/bin/env node
/**
 * Following many batches (issue 14, point 4): BATCHES in-flight batches (default 10,000) on
 * `bench/fake-upstream.mjs`, where every batch stays `in_progress` for ever, followed by the
 * built gateway's lifecycle worker for MINUTES minutes (default 10). Measured every SAMPLE_SECONDS
 * (default 30):
 *   - upstream calls of the follow: the fake's request counter (`GET /_stats`) minus the upload,
 *     the creates and the bench's own `/_stats` calls, per minute and per batch per minute, next to
 *     what the worker's backoff schedule expects for batches of these ages; cross-checked with the
 *     gateway's `batchgate_upstream_requests_total` by operation and with the store's own count of
 *     polls (the sum of `poll_attempts`);
 *   - the gateway's CPU (utime + stime from /proc/<pid>/stat → cores used over the interval), RSS;
 *   - store size (every file under the gateway's data dir: batchgate.db, -wal, -shm, blobs);
 *   - worker lag: `batchgate_worker_lag_seconds` from `GET /metrics` (the age of the oldest
 *     overdue poll, refreshed by the worker at most every 15 s after a round), and the same read
 *     straight from the store (read-only) at the sample instant, with how many polls are overdue.
 *
 * The worker's schedule (src/domain/lifecycle/batch-follower.ts, src/domain/batches/batch-service.ts):
 * a batch is first polled `min` after its create (next_poll_at = create + min, no jitter); after
 * its k-th poll (attempts = k) the next is `min(max, min·1.5^k)·(0.9 … 1.1)` after that poll ends.
 * `min` is batch_poll_min_interval_seconds (default 5), `max` proxy_batch_polling_interval (default
 * 300). A late poll only pushes the later ones out, so a batch of age a has had at most
 * N_fast(a) = #{k ≥ 1 : min + 0.9·Σ_{j=1}^{k−1} min(max, min·1.5^j) ≤ a} polls, and once at the
 * ceiling at most 60 / (0.9·max) polls a minute. The bound checked: follow calls since the first
 * create ≤ Σ_batches N_fast(age at the end).
 *
 * Targets: under one core (every sample), follow calls within the schedule's bound, worker lag
 * under the interval (the floor, `min`, the strictest reading).
 *
 * Run by hand: `npm run build && node bench/follow-batches.mjs`
 * Environment: BATCHES=<n> (default 10000), MINUTES=<m> (default 10), SAMPLE_SECONDS=<s> (30),
 *   MIN_INTERVAL=<s> (batch_poll_min_interval_seconds; default: the gateway's, 5),
 *   MAX_INTERVAL=<s> (proxy_batch_polling_interval; default: the gateway's, 300),
 *   WORKER_CONCURRENCY=<n> (worker_concurrency; default: the gateway's, 8),
 *   CREATE_CONCURRENCY=<n> (creates in flight, default 16), BG_LOG_LEVEL=<level> (default warn:
 *   info writes one line per request), STORE_PROBE=0 (do not read the store directly).
 * Every process and temp folder it starts is removed at the end, on Ctrl-C and on error.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, cleanupSync, cpuMs as processCpuMs, machine, rssMb, sleep, startFake, startGateway, stop, table } from './lib.mjs';

const BATCHES = Number(process.env.BATCHES ?? 10_000);
const MINUTES = Number(process.env.MINUTES ?? 10);
const SAMPLE_S = Number(process.env.SAMPLE_SECONDS ?? 30);
const CREATE_CONCURRENCY = Number(process.env.CREATE_CONCURRENCY ?? 16);
const MIN_S = process.env.MIN_INTERVAL === undefined ? 5 : Number(process.env.MIN_INTERVAL);
const MAX_S = process.env.MAX_INTERVAL === undefined ? 300 : Number(process.env.MAX_INTERVAL);
const WORKER_CONCURRENCY = process.env.WORKER_CONCURRENCY;
const LOG_LEVEL = process.env.BG_LOG_LEVEL ?? 'warn';
const PROBE = process.env.STORE_PROBE !== '0';
const KEY = 'sk-bench';
const GROUP = 'bench-group';
const POLL_OP = /^GET \/v1\/batches\/\{id\}$/;

const m = machine();
console.log(m.text());
console.log(
  `${BATCHES} batches, ${MINUTES} min, a sample every ${SAMPLE_S} s; worker interval ${MIN_S}–${MAX_S} s (×1.5 per poll, ±10 %), ` +
    `worker_concurrency ${WORKER_CONCURRENCY ?? 'default (8)'}, ${CREATE_CONCURRENCY} creates in flight, gateway --log-level ${LOG_LEVEL}`,
);

// --- the schedule the worker may follow ------------------------------------------------------
/** Poll times after the create (s) with every jittered interval scaled by `f`, up to `horizon`. */
function pollTimes(f, horizon) {
  const times = [MIN_S];
  for (let k = 1; times.at(-1) <= horizon; k++) times.push(times.at(-1) + f * Math.min(MAX_S, MIN_S * 1.5 ** k));
  return times;
}
const HORIZON = MINUTES * 60 + 3600; // creation time, with room
const FAST = pollTimes(0.9, HORIZON); // the earliest each poll can come: an upper bound on counts
const MEAN = pollTimes(1.0, HORIZON); // what the schedule expects on average
/** Polls by age `a` (s) on schedule `times`. */
const pollsBy = (times, a) => {
  let n = 0;
  while (n < times.length && times[n] <= a) n++;
  return n;
};

// --- the fake and the gateway ------------------------------------------------------------------
const fake = await startFake();
const config = `model_list:
  - model_name: ${GROUP}
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/v1", api_key: sk-upstream }
general_settings:
  master_key: ${KEY}
  metrics: true
${process.env.MIN_INTERVAL === undefined ? '' : `  batch_poll_min_interval_seconds: ${MIN_S}\n`}${process.env.MAX_INTERVAL === undefined ? '' : `  proxy_batch_polling_interval: ${MAX_S}\n`}${WORKER_CONCURRENCY === undefined ? '' : `  worker_concurrency: ${WORKER_CONCURRENCY}\n`}`;
const gw = await startGateway(config, { logLevel: LOG_LEVEL, tag: 'follow' });
const pid = gw.child.pid;
const dataDir = join(gw.dir, 'data');
const auth = { authorization: `Bearer ${KEY}` };
let gatewayExit = null;
gw.child.once('exit', (code, signal) => {
  gatewayExit = `gateway exited (${code ?? signal}) — last log lines:\n${readFileSync(gw.log, 'utf8').slice(-3000)}`;
});

const cpuMs = () => processCpuMs(pid);

function dirBytes(dir) {
  let total = 0;
  const parts = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    try {
      const size = statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
      total += size;
      if (entry.name.startsWith('batchgate.db')) parts[entry.name] = size;
    } catch {}
  }
  return { total, db: parts['batchgate.db'] ?? 0, wal: parts['batchgate.db-wal'] ?? 0, shm: parts['batchgate.db-shm'] ?? 0 };
}

let statsCalls = 0;
async function fakeStats() {
  const s = await (await fetch(`${fake.url}/_stats`)).json();
  // The counter includes the earlier /_stats answers (this one is counted after it is built).
  const uploads = Object.values(s.uploads).reduce((n, u) => n + u.count, 0);
  const own = statsCalls++;
  return { requests: s.requests, follow: s.requests - own - uploads - s.batches, uploads, creates: s.batches };
}

async function metrics() {
  const text = await (await fetch(`${gw.url}/metrics`, { headers: auth })).text();
  let lag = NaN;
  const byOp = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('batchgate_worker_lag_seconds ')) lag = Number(line.split(' ')[1]);
    else if (line.startsWith('batchgate_upstream_requests_total{')) {
      const op = /operation="([^"]*)"/.exec(line)?.[1] ?? '?';
      const outcome = /outcome="([^"]*)"/.exec(line)?.[1] ?? '?';
      const key = `${op} ${outcome}`;
      byOp[key] = (byOp[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  const polls = Object.entries(byOp)
    .filter(([k]) => POLL_OP.test(k.slice(0, k.lastIndexOf(' '))))
    .reduce((n, [, v]) => n + v, 0);
  return { lag, byOp, polls };
}

// The store read straight (read-only): the worker's own count of polls and its overdue queue.
let probeDb = null;
function probe() {
  if (!PROBE) return null;
  try {
    if (probeDb === null) {
      const Sqlite = createRequire(join(ROOT, 'package.json'))('better-sqlite3');
      probeDb = new Sqlite(join(dataDir, 'batchgate.db'), { readonly: true, fileMustExist: true });
      probeDb.pragma('busy_timeout = 5000');
    }
    const now = Date.now();
    const row = probeDb
      .prepare(
        `select count(*) as n, coalesce(sum(poll_attempts), 0) as polls, max(poll_attempts) as maxAttempts,
                sum(case when next_poll_at_ms <= ? then 1 else 0 end) as overdue,
                min(case when next_poll_at_ms <= ? then next_poll_at_ms end) as oldestDue
           from batches where state = 'ready' and next_poll_at_ms is not null`,
      )
      .get(now, now);
    return { ...row, overdue: row.overdue ?? 0, oldestAge: row.oldestDue === null ? 0 : (now - row.oldestDue) / 1000 };
  } catch (err) {
    console.log(`store probe failed (${err.message}); going on without it`);
    probeDb = null;
    return null;
  }
}

// --- one input file, then BATCHES creates -------------------------------------------------------
const jsonl = Array.from({ length: 3 }, (_, i) =>
  JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: GROUP, messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 8 } }),
).join('\n');
const form = new FormData();
form.set('purpose', 'batch');
form.set('file', new Blob([`${jsonl}\n`]), 'follow.jsonl');
const upload = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form });
if (!upload.ok) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
const fileId = (await upload.json()).id;
const createBody = JSON.stringify({ input_file_id: fileId, endpoint: '/v1/chat/completions', completion_window: '24h' });

const createdAt = new Float64Array(BATCHES); // ms, when each create was sent (the conservative age)
const cpu0 = cpuMs();
const store0 = dirBytes(dataDir);
const tCreate = Date.now();
let next = 0;
let done = 0;
let lastProgress = tCreate;
async function creator() {
  for (;;) {
    const i = next++;
    if (i >= BATCHES) return;
    if (gatewayExit) throw new Error(gatewayExit);
    createdAt[i] = Date.now();
    const r = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: createBody });
    const text = await r.text();
    if (!r.ok) throw new Error(`create ${i}: ${r.status} ${text.slice(0, 500)}`);
    const status = JSON.parse(text).status;
    if (status !== 'in_progress' && status !== 'validating') throw new Error(`create ${i}: status ${status}`);
    done++;
    if (Date.now() - lastProgress >= 5000 || done === BATCHES) {
      lastProgress = Date.now();
      console.log(`created ${done}/${BATCHES} in ${((lastProgress - tCreate) / 1000).toFixed(1)} s`);
    }
  }
}
await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, creator));
const createS = (Date.now() - tCreate) / 1000;
const createCpuS = (cpuMs() - cpu0) / 1000;
console.log(`created ${BATCHES} batches in ${createS.toFixed(1)} s (${Math.round(BATCHES / createS)}/s, ${(createCpuS / createS).toFixed(2)} cores of gateway CPU)`);

// --- following ----------------------------------------------------------------------------------
/** Polls the schedule allows (times = FAST) or expects (MEAN) by wall time `t` (ms), all batches. */
function schedulePolls(times, t) {
  let n = 0;
  for (let i = 0; i < BATCHES; i++) n += pollsBy(times, (t - createdAt[i]) / 1000);
  return n;
}

const samples = [];
async function sample(label, t) {
  const [fs, mx] = await Promise.all([fakeStats(), metrics()]);
  const s = {
    label,
    t,
    cpuMs: cpuMs(),
    rss: await rssMb(pid),
    store: dirBytes(dataDir),
    follow: fs.follow,
    creates: fs.creates,
    lag: mx.lag,
    gwPolls: mx.polls,
    byOp: mx.byOp,
    probe: probe(),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
  };
  samples.push(s);
  return s;
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const mb = (b) => (b / 2 ** 20).toFixed(1);
const rows = [['t (s)', 'follow calls', 'calls/min', 'calls/batch/min', 'schedule/batch/min', 'cores', 'RSS MB', 'store MB (db+wal)', 'lag gauge s', 'oldest overdue s', 'overdue', 'polls in store', 'load1']];
function row(prev, s) {
  const minutes = (s.t - prev.t) / 60_000;
  const calls = s.follow - prev.follow;
  const expected = (schedulePolls(MEAN, s.t) - schedulePolls(MEAN, prev.t)) / BATCHES / minutes;
  const cores = (s.cpuMs - prev.cpuMs) / (s.t - prev.t);
  s.cores = cores;
  s.callsPerBatchMin = calls / BATCHES / minutes;
  s.expectedPerBatchMin = expected;
  return [
    s.label,
    calls.toLocaleString('en-US'),
    Math.round(calls / minutes).toLocaleString('en-US'),
    fmt(calls / BATCHES / minutes, 3),
    fmt(expected, 3),
    fmt(cores, 3),
    fmt(s.rss, 0),
    `${mb(s.store.total)} (${mb(s.store.db)}+${mb(s.store.wal)})`,
    fmt(s.lag, 2),
    s.probe ? fmt(s.probe.oldestAge, 2) : '–',
    s.probe ? String(s.probe.overdue) : '–',
    s.probe ? Number(s.probe.polls).toLocaleString('en-US') : '–',
    s.load,
  ];
}

const created = { label: 'created', t: tCreate, cpuMs: cpu0, follow: 0, rss: NaN, store: store0, lag: NaN, probe: null, load: m.load.split(' ')[0] };
const base = await sample('0', Date.now());
rows.push(row(created, base));
rows[1][0] = `create (${createS.toFixed(0)} s)`;
console.log(`during the creates: ${rows[1].slice(1).join(' | ')}`);
const t0 = base.t;
const end = t0 + MINUTES * 60_000;
for (let k = 1; ; k++) {
  const at = Math.min(end, t0 + k * SAMPLE_S * 1000);
  while (Date.now() < at) {
    if (gatewayExit) throw new Error(gatewayExit);
    await sleep(Math.min(1000, at - Date.now()));
  }
  if (gatewayExit) throw new Error(gatewayExit);
  const prev = samples.at(-1);
  const s = await sample(String(Math.round((at - t0) / 1000)), Date.now());
  const r = row(prev, s);
  rows.push(r);
  console.log(rows[0].map((h, i) => `${h} ${r[i]}`).join(', '));
  if (at >= end) break;
}

// --- the summary ----------------------------------------------------------------------------------
const last = samples.at(-1);
console.log(`\n${BATCHES} batches followed for ${MINUTES} min after a ${createS.toFixed(1)} s create phase; interval ${MIN_S}–${MAX_S} s\n`);
console.log(table(rows));

const follow = samples.slice(1);
const windowMin = (last.t - t0) / 60_000;
const windowCalls = last.follow - base.follow;
const perBatchMin = windowCalls / BATCHES / windowMin;
const expectedWindow = (schedulePolls(MEAN, last.t) - schedulePolls(MEAN, t0)) / BATCHES / windowMin;
const bound = schedulePolls(FAST, last.t);
const expectedTotal = schedulePolls(MEAN, last.t);
const coresMean = (last.cpuMs - base.cpuMs) / (last.t - t0);
const coresPeak = Math.max(...follow.map((s) => s.cores));
// Lag from the end of the creates (t = 0) on: the batches are followed from their create.
const lags = samples.map((s) => s.lag).filter(Number.isFinite);
const lagMax = lags.length ? Math.max(...lags) : NaN;
const probes = samples.map((s) => s.probe).filter(Boolean);
const overdueMax = probes.length ? Math.max(...probes.map((p) => p.oldestAge)) : NaN;
const oldestAge = (last.t - createdAt[0]) / 1000;
const storeGrowth = last.store.total - base.store.total;

console.log(`\nupstream calls by operation (gateway's batchgate_upstream_requests_total at the end):`);
for (const [k, v] of Object.entries(last.byOp).sort()) console.log(`  ${k}: ${v.toLocaleString('en-US')}`);
console.log(
  `follow calls at the fake since the first create: ${last.follow.toLocaleString('en-US')}; the gateway's count of batch retrieves ${last.gwPolls.toLocaleString('en-US')}` +
    (last.probe ? `; polls recorded in the store (Σ poll_attempts) ${Number(last.probe.polls).toLocaleString('en-US')}, most polls of one batch ${last.probe.maxAttempts} (schedule allows ${pollsBy(FAST, oldestAge)} by age ${oldestAge.toFixed(0)} s)` : ''),
);
console.log(
  `schedule: poll k at min + Σ_{j<k} min(max, min·1.5^j)·(0.9…1.1) after the create (min ${MIN_S} s, max ${MAX_S} s); at the fastest jitter ${FAST.slice(0, 12).map((x) => x.toFixed(0)).join(', ')} … s; ` +
    `bound Σ N_fast(age) = ${bound.toLocaleString('en-US')} calls, mean-jitter expectation ${expectedTotal.toLocaleString('en-US')}; at the ceiling ≤ ${(60 / (0.9 * MAX_S)).toFixed(3)} calls/batch/min`,
);
console.log(`store ${mb(base.store.total)} → ${mb(last.store.total)} MB over the ${windowMin.toFixed(1)} min (${storeGrowth >= 0 ? '+' : ''}${mb(storeGrowth)} MB, ${((storeGrowth / 2 ** 20) / windowMin).toFixed(2)} MB/min); RSS ${fmt(base.rss, 0)} → ${fmt(last.rss, 0)} MB`);
const logLines = readFileSync(gw.log, 'utf8').split('\n').filter((l) => l.trim() !== '');
console.log(`gateway log (--log-level ${LOG_LEVEL}): ${logLines.length} lines${logLines.length ? `; the last: ${logLines.slice(-3).map((l) => l.slice(0, 300)).join(' / ')}` : ''}`);
console.log(`load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (at the start ${m.load})`);

const verdict = (ok) => (ok ? 'MET' : 'MISSED');
console.log(
  `\nfollow-batches: ${BATCHES} in-flight batches for ${windowMin.toFixed(1)} min (created in ${createS.toFixed(1)} s at ${fmt(createCpuS / createS, 2)} cores): ` +
    `gateway CPU ${fmt(coresMean, 3)} cores mean, ${fmt(coresPeak, 3)} peak of ${SAMPLE_S} s samples (target < 1 core: ${verdict(coresPeak < 1)}); ` +
    `upstream ${Math.round(windowCalls / windowMin).toLocaleString('en-US')} calls/min = ${fmt(perBatchMin, 3)} per batch per minute (schedule expects ${fmt(expectedWindow, 3)}), ` +
    `${last.follow.toLocaleString('en-US')} follow calls since the first create ≤ ${bound.toLocaleString('en-US')} allowed by the backoff min·1.5^k capped at max, −10 % jitter (${verdict(last.follow <= bound)}); ` +
    `worker lag max ${fmt(lagMax, 2)} s gauge from t = 0${probes.length ? `, ${fmt(overdueMax, 2)} s oldest overdue in the store` : ''} (target < the ${MIN_S} s floor interval: ${verdict(Math.max(lagMax, Number.isFinite(overdueMax) ? overdueMax : 0) < MIN_S)}); ` +
    `store ${storeGrowth >= 0 ? '+' : ''}${mb(storeGrowth)} MB (${mb(last.store.total)} MB)`,
);

probeDb?.close();
await stop(gw.child);
await stop(fake.child);
cleanupSync();
