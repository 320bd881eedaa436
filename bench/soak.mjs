#!/usr/bin/env node
/**
 * Soak (issue 14, point 5): two gateway processes sharing one PostgreSQL store keep IN_FLIGHT
 * batches in flight against the fake upstream for DURATION seconds, with uploads, creates,
 * retrieves, cancels, lists and file retrieves, and report
 *   errors       every non-2xx answer, network error or broken invariant (target 0): a retrieved
 *                batch or file has the id asked for; an in-flight batch is not terminal unless we
 *                cancelled it; a cancel answers `cancelling`/`cancelled`, and a cancelled batch read
 *                later (from the other replica) still is; a list answers a page of batches;
 *   memory       RSS of each gateway (and its V8 heap used, from its own /metrics), sampled every
 *                second; the median of the first minute against the median of the last one
 *                (target flat: ratio ≤ 1.10),
 *   store size   pg_total_relation_size summed over the run's schema, and its growth per object
 *                written (files + batches created): second half ÷ first half ≤ 1.5 counts as
 *                growing with the data only (no bloat, no table growing on its own),
 *   throughput   operations per second over the run.
 * Setup: one fake upstream (`bench/fake-upstream.mjs`: batches stay `in_progress` until cancelled);
 * two `batchgate serve` processes (the built `dist/bin/batchgate.js`) with the same config (one
 * `openai/` deployment whose api_base is the fake, master key `sk-bench`, `/metrics` on), the same
 * DATABASE_URL and a schema of their own for the run (`bench_soak_<timestamp>`), each with its own
 * --data-dir; both run the lifecycle worker (the default), so two workers lease the same batches.
 * The driver (this process, plain fetch) runs CONCURRENCY async loops: while fewer than IN_FLIGHT
 * batches are in flight a loop uploads a small file (3 lines; every third upload a managed one, with
 * `target_model_names`) and creates a batch on it; otherwise it retrieves a random in-flight batch,
 * cancels one (a replacement follows), reads a cancelled one back, retrieves a file or lists. Every
 * call alternates between the two gateways, so most batches are read on the replica that did not
 * create them. The fill to IN_FLIGHT is done first; DURATION counts from when it is reached (the
 * in-flight count then sits up to CONCURRENCY below IN_FLIGHT: a cancel comes before its
 * replacement).
 * A line is printed every 15 s; at the end the table of those samples, the gateways' own warnings
 * and errors (pino level ≥ 40, and 5xx access-log lines), and one `soak:` summary line.
 *
 * Run by hand: `npm run build && node bench/soak.mjs`
 * Environment: DURATION=<s> (default 600), IN_FLIGHT=<batches> (default 1000), CONCURRENCY=<loops>
 *   (default 16), DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; the schema is
 *   created by the gateways and dropped at the end, on Ctrl-C and on error), SAMPLE_EVERY=<s>
 *   (default 15), BG_LOG_LEVEL=<level> (the gateways' --log-level; default their own, info),
 *   BG_NODE_ARGS="<node flags>" (given to both gateways, e.g. `--heapsnapshot-signal=SIGUSR2` to
 *   take heap snapshots by hand with `kill -USR2 <pid>`; they land in the gateway's temp folder,
 *   printed at the start, which is removed at the end), BG_ENTRY=<path> (another gateway entry,
 *   e.g. a patched copy of dist/bin/batchgate.js; see lib.mjs).
 * Every process and temp folder it starts is removed at the end, on Ctrl-C and on error.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { cleanupSync, machine, median, rssMb, sleep, startFake, startGateway, stop, table } from './lib.mjs';

const DURATION = Number(process.env.DURATION ?? 600);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY ?? 15);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'sk-bench';
const UPSTREAM_KEY = 'sk-upstream';
const MODEL = 'gpt-4o-mini';
const SCHEMA = `bench_soak_${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${process.pid}`;

const m = machine();
console.log(m.text());
console.log(`soak: ${DURATION} s at ${IN_FLIGHT} batches in flight, ${CONCURRENCY} loops, two gateways on PostgreSQL (schema ${SCHEMA})`);

// --- the schema: created by the gateways, dropped however the run ends --------------------------
let schemaDropped = false;
function dropSchemaSync() {
  if (schemaDropped) return;
  schemaDropped = true;
  try {
    execFileSync('psql', ['-X', '-q', DATABASE_URL, '-c', "set client_min_messages = warning", '-c', "set lock_timeout = '15s'", '-c', `drop schema if exists "${SCHEMA}" cascade`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 30_000,
    });
    process.stderr.write(`dropped schema ${SCHEMA}\n`);
  } catch (err) {
    process.stderr.write(`could not drop schema ${SCHEMA} (drop it by hand): ${err.message}\n`);
  }
}
// lib.mjs's exit handler (registered first) has SIGKILLed the gateways by the time this runs;
// Ctrl-C and errors end in process.exit there, so this covers them too.
process.on('exit', dropSchemaSync);

const db = new pg.Client({ connectionString: DATABASE_URL });
await db.connect();
await db.query('select 1');

// --- the fake and the two gateways ---------------------------------------------------------------
const fake = await startFake();
process.env.DATABASE_URL = DATABASE_URL;
process.env.BATCHGATE_DATABASE_SCHEMA = SCHEMA;
const config = `model_list:
  - model_name: ${MODEL}
    litellm_params: { model: openai/${MODEL}, api_base: "${fake.url}/v1", api_key: ${UPSTREAM_KEY} }
general_settings:
  master_key: ${KEY}
  database_schema: ${SCHEMA}
  metrics: true
`;
// One after the other: the first one migrates the schema.
const gws = [];
for (const name of ['gw1', 'gw2']) {
  const nodeArgs = (process.env.BG_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const gw = await startGateway(config, { tag: `soak-${name}`, logLevel: process.env.BG_LOG_LEVEL, nodeArgs });
  gws.push({ name, url: gw.url, child: gw.child, pid: gw.child.pid, log: gw.log, rss: [] });
}
console.log(`fake ${fake.url}; ${gws.map((g) => `${g.name} ${g.url} (pid ${g.pid}, log ${g.log})`).join(', ')}`);

// --- the calls -----------------------------------------------------------------------------------
const AUTH = { authorization: `Bearer ${KEY}` };
const OPS = ['upload', 'create', 'retrieve', 'cancel', 'readCancelled', 'file', 'list'];
const done = Object.fromEntries(OPS.map((op) => [op, 0]));
const failed = Object.fromEntries(OPS.map((op) => [op, 0]));
let errors = 0;
let invariantErrors = 0;
const examples = [];
let crossReplicaReads = 0;

function recordError(kind, detail) {
  errors++;
  if (kind === 'invariant') invariantErrors++;
  if (examples.length < 10) examples.push({ at: Math.round((Date.now() - t0) / 1000), kind, ...detail });
}

let turn = 0;
const nextGw = () => gws[turn++ % 2];
const otherGw = (g) => (g === gws[0] ? gws[1] : gws[0]);

/** One call; resolves to the parsed JSON body, or undefined after recording the error. */
async function call(op, gw, method, path, { body, json } = {}) {
  let res;
  let text;
  try {
    res = await fetch(`${gw.url}${path}`, {
      method,
      headers: json === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
      body: json === undefined ? body : JSON.stringify(json),
    });
    text = await res.text();
  } catch (err) {
    failed[op]++;
    recordError('network', { op, gw: gw.name, method, path, error: String(err?.cause ?? err) });
    return undefined;
  }
  if (res.status < 200 || res.status > 299) {
    failed[op]++;
    recordError('status', { op, gw: gw.name, method, path, status: res.status, body: text.slice(0, 300) });
    return undefined;
  }
  done[op]++;
  try {
    return JSON.parse(text);
  } catch {
    recordError('invariant', { op, gw: gw.name, method, path, status: res.status, body: text.slice(0, 300), what: 'not JSON' });
    return undefined;
  }
}

function check(ok, op, gw, path, what, obj) {
  if (!ok) recordError('invariant', { op, gw: gw.name, path, what, body: JSON.stringify(obj).slice(0, 300) });
  return ok;
}

/** A set with O(1) add, delete and random pick. */
class Bag {
  items = [];
  index = new Map();
  get size() {
    return this.items.length;
  }
  add(item) {
    if (this.index.has(item.id)) return;
    this.index.set(item.id, this.items.length);
    this.items.push(item);
  }
  delete(id) {
    const at = this.index.get(id);
    if (at === undefined) return;
    const last = this.items.pop();
    if (at < this.items.length) {
      this.items[at] = last;
      this.index.set(last.id, at);
    }
    this.index.delete(id);
  }
  random() {
    return this.items[Math.floor(Math.random() * this.items.length)];
  }
}

/** A bounded sample of ids (the newest `max`), for the reads of files and cancelled batches. */
class Recent {
  constructor(max) {
    this.max = max;
    this.items = [];
    this.next = 0;
  }
  add(item) {
    if (this.items.length < this.max) this.items.push(item);
    else this.items[this.next++ % this.max] = item;
  }
  random() {
    return this.items[Math.floor(Math.random() * this.items.length)];
  }
}

const inFlight = new Bag();
const cancelled = new Recent(2000);
const cancelledIds = new Set(); // every batch we cancelled (a retrieve racing its cancel may see it)
const recentFiles = new Recent(2000);
let creating = 0;
let uploads = 0;

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

function jsonl(n) {
  let text = '';
  for (let i = 0; i < 3; i++) {
    text += `${JSON.stringify({ custom_id: `soak-${n}-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content: `hello ${n} ${i}` }], max_tokens: 8 } })}\n`;
  }
  return text;
}

async function uploadAndCreate() {
  const n = ++uploads;
  const up = nextGw();
  const form = new FormData();
  form.set('purpose', 'batch');
  if (n % 3 === 0) form.set('target_model_names', MODEL);
  form.set('file', new Blob([jsonl(n)], { type: 'application/jsonl' }), `soak-${n}.jsonl`);
  const file = await call('upload', up, 'POST', '/v1/files', { body: form });
  if (file === undefined) return;
  if (!check(typeof file.id === 'string' && file.purpose === 'batch', 'upload', up, '/v1/files', 'a file object', file)) return;
  recentFiles.add({ id: file.id, gw: up });
  const gw = nextGw();
  const batch = await call('create', gw, 'POST', '/v1/batches', { json: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { soak: String(n) } } });
  if (batch === undefined) return;
  if (!check(typeof batch.id === 'string' && batch.input_file_id === file.id && !TERMINAL.has(batch.status), 'create', gw, '/v1/batches', 'a live batch on the file', batch)) return;
  inFlight.add({ id: batch.id, gw });
}

async function retrieve() {
  const b = inFlight.random();
  if (b === undefined) return;
  const gw = nextGw();
  if (gw !== b.gw) crossReplicaReads++;
  const path = `/v1/batches/${b.id}`;
  const batch = await call('retrieve', gw, 'GET', path);
  if (batch === undefined) return;
  check(batch.id === b.id, 'retrieve', gw, path, 'the batch asked for', batch);
  check(!TERMINAL.has(batch.status) || (cancelledIds.has(b.id) && ['cancelling', 'cancelled'].includes(batch.status)), 'retrieve', gw, path, 'an in-flight batch not ended', batch);
}

async function cancel() {
  const b = inFlight.random();
  if (b === undefined) return;
  inFlight.delete(b.id); // no other loop picks it from now on
  cancelledIds.add(b.id);
  const gw = nextGw();
  const path = `/v1/batches/${b.id}/cancel`;
  const batch = await call('cancel', gw, 'POST', path);
  if (batch === undefined) return;
  check(batch.id === b.id && ['cancelling', 'cancelled'].includes(batch.status), 'cancel', gw, path, 'cancelling or cancelled', batch);
  cancelled.add({ id: b.id, gw });
}

async function readCancelled() {
  const b = cancelled.random();
  if (b === undefined) return retrieve();
  const gw = otherGw(b.gw);
  crossReplicaReads++;
  const path = `/v1/batches/${b.id}`;
  const batch = await call('readCancelled', gw, 'GET', path);
  if (batch === undefined) return;
  check(batch.id === b.id && ['cancelling', 'cancelled'].includes(batch.status), 'readCancelled', gw, path, 'still cancelling or cancelled', batch);
}

async function retrieveFile() {
  const f = recentFiles.random();
  if (f === undefined) return;
  const gw = otherGw(f.gw);
  const path = `/v1/files/${f.id}`;
  const file = await call('file', gw, 'GET', path);
  if (file === undefined) return;
  check(file.id === f.id && file.object === 'file', 'file', gw, path, 'the file asked for', file);
}

async function list() {
  const gw = nextGw();
  const page = await call('list', gw, 'GET', '/v1/batches?limit=20');
  if (page === undefined) return;
  check(page.object === 'list' && Array.isArray(page.data) && page.data.length === 20 && page.data.every((b) => typeof b.id === 'string'), 'list', gw, '/v1/batches?limit=20', 'a page of 20 batches', { ...page, data: page.data?.length });
}

// Steady-state mix, by weight.
const MIX = [
  [retrieve, 50],
  [cancel, 15],
  [readCancelled, 10],
  [retrieveFile, 15],
  [list, 10],
];
const MIX_TOTAL = MIX.reduce((s, [, w]) => s + w, 0);
function pick() {
  let r = Math.random() * MIX_TOTAL;
  for (const [fn, w] of MIX) if ((r -= w) < 0) return fn;
  return MIX[0][0];
}

let stopping = false;
let filling = true; // until IN_FLIGHT is first reached, creates only
async function loop() {
  while (!stopping) {
    if (filling && inFlight.size + creating >= IN_FLIGHT) {
      await sleep(10);
    } else if (inFlight.size + creating < IN_FLIGHT) {
      creating++;
      try {
        await uploadAndCreate();
      } finally {
        creating--;
      }
    } else {
      await pick()();
    }
  }
}

// --- sampling ------------------------------------------------------------------------------------
async function storeSize() {
  const { rows } = await db.query(
    `select coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)), 0)::bigint as bytes
       from pg_tables where schemaname = $1`,
    [SCHEMA],
  );
  const counts = await db.query(`select (select count(*) from "${SCHEMA}".batches)::int as batches, (select count(*) from "${SCHEMA}".files)::int as files`);
  return { bytes: Number(rows[0].bytes), ...counts.rows[0] };
}

async function heapMb(gw) {
  try {
    const res = await fetch(`${gw.url}/metrics`, { headers: AUTH });
    const text = await res.text();
    const v = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)/m.exec(text);
    return v === null ? NaN : Number(v[1]) / 2 ** 20;
  } catch {
    return NaN;
  }
}

let t0 = Date.now();
const rssTimer = setInterval(() => {
  const at = (Date.now() - t0) / 1000;
  for (const g of gws) {
    rssMb(g.pid)
      .then((mb) => g.rss.push({ at, mb }))
      .catch(() => {});
  }
}, 1000);

const samples = [];
let lastOps = 0;
let lastAt = 0;
const totalOps = () => OPS.reduce((s, op) => s + done[op] + failed[op], 0);
async function sample(label) {
  const at = (Date.now() - t0) / 1000;
  const [rss, heap, store] = await Promise.all([Promise.all(gws.map((g) => rssMb(g.pid).catch(() => NaN))), Promise.all(gws.map(heapMb)), storeSize()]);
  const ops = totalOps();
  const s = { label, at, inFlight: inFlight.size, done: { ...done }, ops, rate: label === 'start' ? NaN : (ops - lastOps) / Math.max(0.001, at - lastAt), errors, rss, heap, store };
  lastOps = ops;
  lastAt = at;
  samples.push(s);
  console.log(
    `${label.padEnd(5)} t=${at.toFixed(0).padStart(4)} s  in flight ${s.inFlight}  ops ${ops} (${Number.isNaN(s.rate) ? '–' : s.rate.toFixed(0)}/s: ` +
      `${OPS.map((op) => `${op} ${done[op]}`).join(', ')})  errors ${errors}  ` +
      `rss ${rss.map((x) => x.toFixed(1)).join('/')} MB  heap ${heap.map((x) => x.toFixed(1)).join('/')} MB  ` +
      `store ${(store.bytes / 2 ** 20).toFixed(1)} MB (${store.batches} batches, ${store.files} files)`,
  );
  return s;
}

// --- the run -------------------------------------------------------------------------------------
const loops = Array.from({ length: CONCURRENCY }, () => loop());
const fillStart = Date.now();
let fillReport = Date.now() + 5000;
while (inFlight.size < IN_FLIGHT && errors < 1000) {
  await sleep(50);
  if (Date.now() > fillReport) {
    fillReport += 5000;
    console.log(`filling: ${inFlight.size} in flight, ${done.upload} uploads, ${done.create} creates, ${errors} errors`);
  }
}
const fillS = (Date.now() - fillStart) / 1000;
filling = false;
console.log(`filled to ${inFlight.size} in flight in ${fillS.toFixed(1)} s (${errors} errors so far); measuring ${DURATION} s`);
t0 = Date.now();
for (const g of gws) g.rss.length = 0;
lastOps = totalOps();
const opsAtStart = lastOps;
await sample('start');
const end = t0 + DURATION * 1000;
while (Date.now() < end) {
  await sleep(Math.min(SAMPLE_EVERY * 1000 - ((Date.now() - t0) % (SAMPLE_EVERY * 1000)), end - Date.now()));
  if (Date.now() < end - 500) await sample('');
}
stopping = true;
const runS = (Date.now() - t0) / 1000;
const opsRun = totalOps() - opsAtStart;
await Promise.all(loops);
clearInterval(rssTimer);
const last = await sample('end');

// --- the report ----------------------------------------------------------------------------------
console.log(`\nsamples (every ${SAMPLE_EVERY} s; cumulative counts, the fill included; ops/s over the interval)\n`);
console.log(
  table([
    ['t s', 'in flight', ...OPS, 'ops/s', 'errors', `rss ${gws[0].name} MB`, `rss ${gws[1].name} MB`, `heap ${gws[0].name} MB`, `heap ${gws[1].name} MB`, 'store MB', 'batches', 'files'],
    ...samples.map((s) => [
      s.at.toFixed(0),
      s.inFlight,
      ...OPS.map((op) => s.done[op]),
      s.label === 'start' ? '–' : s.rate.toFixed(0),
      s.errors,
      ...s.rss.map((x) => x.toFixed(1)),
      ...s.heap.map((x) => x.toFixed(1)),
      (s.store.bytes / 2 ** 20).toFixed(1),
      s.store.batches,
      s.store.files,
    ]),
  ]),
);

// What the gateways logged at warn or above, and any 5xx they answered.
for (const g of gws) {
  let lines = [];
  try {
    lines = readFileSync(g.log, 'utf8').split('\n');
  } catch {}
  const bad = lines.filter((l) => {
    if (l === '') return false;
    try {
      const o = JSON.parse(l);
      return o.level >= 40 || (o.res?.statusCode ?? 0) >= 500;
    } catch {
      return true;
    }
  });
  console.log(`\n${g.name} log: ${lines.length - 1} lines, ${bad.length} at warn or above (or 5xx, or not JSON)`);
  for (const l of bad.slice(0, 5)) console.log(`  ${l.slice(0, 600)}`);
}

if (examples.length > 0) {
  console.log(`\nfirst ${examples.length} errors:`);
  for (const e of examples) console.log(`  ${JSON.stringify(e)}`);
}
console.log(`\nerrors by op: ${OPS.map((op) => `${op} ${failed[op]}`).join(', ')}; invariant violations ${invariantErrors}; reads on the other replica ${crossReplicaReads}`);

const upstream = await (await fetch(`${fake.url}/_stats`)).json();
console.log(`fake upstream: ${upstream.requests} requests, ${upstream.files} files, ${upstream.batches} batches`);

// Memory: the first minute of the run against the last one (the whole run when shorter than 2 min,
// which then says nothing).
const window = Math.min(60, runS / 2);
const rssCmp = gws.map((g) => {
  const first = median(g.rss.filter((r) => r.at <= window).map((r) => r.mb));
  const lastM = median(g.rss.filter((r) => r.at >= runS - window).map((r) => r.mb));
  return { name: g.name, first, last: lastM, ratio: lastM / first };
});
const memOk = rssCmp.every((r) => r.ratio <= 1.1);

// Store: bytes per object written (files + batches), second half of the run against the first.
const mid = samples.reduce((best, s) => (Math.abs(s.at - runS / 2) < Math.abs(best.at - runS / 2) ? s : best), samples[0]);
const first = samples[0];
const objects = (s) => s.store.batches + s.store.files;
const perObject = (a, b) => (b.store.bytes - a.store.bytes) / Math.max(1, objects(b) - objects(a));
const firstHalf = perObject(first, mid);
const secondHalf = perObject(mid, last);
const storeRatio = secondHalf / firstHalf;
const storeOk = Number.isFinite(storeRatio) && storeRatio <= 1.5;
const opsPerS = opsRun / runS;
const mb = (b) => (b / 2 ** 20).toFixed(1);

console.log(
  `\nsoak: ${runS.toFixed(0)} s at ${IN_FLIGHT} in flight, 2 gateways on PostgreSQL, ${CONCURRENCY} loops: ` +
    `errors ${errors} (target 0: ${errors === 0 ? 'MET' : 'MISSED'}); ` +
    `RSS first-minute → last-minute median ${rssCmp.map((r) => `${r.name} ${r.first.toFixed(1)} → ${r.last.toFixed(1)} MB ×${r.ratio.toFixed(2)}`).join(', ')} (target flat ≤ ×1.10: ${memOk ? 'MET' : 'MISSED'}); ` +
    `store ${mb(first.store.bytes)} → ${mb(last.store.bytes)} MB (+${mb(last.store.bytes - first.store.bytes)} MB for ${objects(last) - objects(first)} objects, ` +
    `${(firstHalf / 1024).toFixed(2)} → ${(secondHalf / 1024).toFixed(2)} KB per object first/second half ×${storeRatio.toFixed(2)}; target growing with the data only ≤ ×1.5: ${storeOk ? 'MET' : 'MISSED'}); ` +
    `${opsPerS.toFixed(0)} ops/s (${opsRun} ops; fill of ${IN_FLIGHT} in ${fillS.toFixed(1)} s)`,
);

for (const g of gws) await stop(g.child);
await stop(fake.child);
await db.query(`set lock_timeout = '15s'`);
await db.query(`drop schema if exists "${SCHEMA}" cascade`);
schemaDropped = true;
await db.end();
console.log(`dropped schema ${SCHEMA}`);
cleanupSync();
