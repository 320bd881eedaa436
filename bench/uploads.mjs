#!/usr/bin/env node
/**
 * Big uploads (issue 14, point 2): 50,000-line JSONL batch files of about 20 MB and 200 MB (and
 * 1 GB with SIZES=20,200,1000) uploaded through the built gateway with `target_model_names` to a
 * model group of two `openai/` deployments (so every line is validated and two copies are written
 * upstream, each with `body.model` rewritten), against the same file uploaded straight to one
 * upstream with `curl -F file=@…`. The upstream is `bench/fake-upstream.mjs`, whose
 * `POST /v1/files` streams the body to nowhere (counts the bytes, answers a File object); the two
 * deployments are two path prefixes of it (`/a/v1`, `/b/v1`). Both uploads use the same client,
 * curl, with `Expect:` turned off.
 *
 * Reports, per size, medians over the runs: seconds per upload (gateway and direct, and their
 * ratio against the target of ≤ 4×), the gateway process's CPU per upload (user + system: less
 * noisy than the wall time when the client, the fake and the gateway share two cores), lines/s
 * (50,000 lines ÷ the gateway's upload time: every line validated and rewritten twice), the
 * gateway's peak RSS while uploading (VmRSS of /proc/<pid>/status every 20 ms; the target is judged
 * on the highest of the runs, a ceiling) and its RSS when
 * idle (1 s after start, before the first upload, and again 3 s after the last; the idle target
 * itself is judged by `bench/idle-memory.mjs`, once V8's memory reducer has run). A fresh
 * gateway process per size.
 *
 * Run by hand: `npm run build && node bench/uploads.mjs [runs]` (default 3).
 * Environment: SIZES=20,200 (MB; 1000 for the 1 GB file), LINES=50000, MODELS=same|distinct (the
 *   two deployments' upstream models: the same one, so one rewrite feeds both copies, or two),
 *   NODE_ARGS (flags of the gateway process), BG_LOG_LEVEL (the gateway's --log-level),
 *   KEEP_FILES=<dir> (generate the files there and keep them, to reuse across invocations).
 * The files are generated once per invocation into a temp folder (streamed to disk); every
 * process and temp folder it starts is removed at the end, on Ctrl-C and on error.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpuMs, machine, median, rssMb, sampleRss, sleep, startFake, startGateway, stop, table, tempDir, cleanupSync, writeBatchFile } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const SIZES = (process.env.SIZES ?? '20,200').split(',').map(Number);
const LINES = Number(process.env.LINES ?? 50_000);
const KEY = 'sk-bench';
const GROUP = 'bench-group'; // same length as gpt-4o-mini: a copy has the size of the original
// MODELS=distinct: the second deployment has another upstream model (as two Azure accounts with
// their own deployment names would), so each copy is rewritten on its own instead of shared.
const SECOND_MODEL = process.env.MODELS === 'distinct' ? 'gpt-4.1-min' : 'gpt-4o-mini';

console.log(machine().text());
console.log(`upstream models: ${SECOND_MODEL === 'gpt-4o-mini' ? 'the same for both deployments' : 'one per deployment'}`);
console.log(`runs ${RUNS}, sizes ${SIZES.map((s) => `${s} MB`).join(', ')}, ${LINES} lines each`);

const filesDir = process.env.KEEP_FILES ?? tempDir('upload-files');
mkdirSync(filesDir, { recursive: true });
const files = {};
for (const mb of SIZES) {
  const path = join(filesDir, `batch-${mb}mb-${LINES}.jsonl`);
  const t0 = performance.now();
  const bytes = existsSync(path) ? statSync(path).size : await writeBatchFile(path, { mb, lines: LINES, model: GROUP });
  files[mb] = { path, bytes };
  console.log(`file ${mb} MB: ${(bytes / 1e6).toFixed(1)} MB, ${LINES} lines (${((performance.now() - t0) / 1000).toFixed(1)} s to generate)`);
}

const fake = await startFake();
const stats = async () => (await (await fetch(`${fake.url}/_stats`)).json()).uploads;

function curl(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('curl', ['-s', '-S', '-H', 'Expect:', '-w', '\n%{http_code}', ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const seconds = (performance.now() - t0) / 1000;
      if (err) return reject(new Error(`curl: ${err.message} ${stderr}`));
      const lines = stdout.trimEnd().split('\n');
      const status = Number(lines.pop());
      const body = lines.join('\n');
      if (status !== 200) return reject(new Error(`upload answered ${status}: ${body.slice(0, 500)}`));
      resolve({ seconds, body: JSON.parse(body) });
    });
  });
}

const directUpload = (file) => curl(['-H', 'Authorization: Bearer sk-upstream', '-F', 'purpose=batch', '-F', `file=@${file.path};filename=batch.jsonl`, `${fake.url}/a/v1/files`]);
const gatewayUpload = (gw, file) =>
  curl(['-H', `Authorization: Bearer ${KEY}`, '-F', 'purpose=batch', '-F', `target_model_names=${GROUP}`, '-F', `file=@${file.path};filename=batch.jsonl`, `${gw.url}/v1/files`]);

const config = (maxMb) => `model_list:
  - model_name: ${GROUP}
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fake.url}/a/v1", api_key: sk-upstream }
  - model_name: ${GROUP}
    litellm_params: { model: openai/${SECOND_MODEL}, api_base: "${fake.url}/b/v1", api_key: sk-upstream }
general_settings:
  master_key: ${KEY}
  max_batch_file_size_mb: ${maxMb}
  max_batch_file_records: ${Math.max(LINES, 50_000)}
  batch_poll_min_interval_seconds: 3600
`;

const results = {};
for (const mb of SIZES) {
  const file = files[mb];
  const gw = await startGateway(config(Math.ceil((file.bytes / 1e6) * 1.1) + 1), {
    tag: 'upload-gw',
    nodeArgs: (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean),
    logLevel: process.env.BG_LOG_LEVEL,
  });
  await sleep(1000);
  const idleStart = await rssMb(gw.child.pid);
  const r = (results[mb] = { direct: [], gateway: [], cpu: [], peak: [], idleStart, idleEnd: 0 });
  for (let run = 1; run <= RUNS; run++) {
    // Alternate which goes first, so a drift in the machine's load does not favour one side.
    const order = run % 2 === 1 ? ['direct', 'gateway'] : ['gateway', 'direct'];
    for (const side of order) {
      if (side === 'direct') {
        const d = await directUpload(file);
        r.direct.push(d.seconds);
        console.log(`run ${run} ${mb} MB direct: ${d.seconds.toFixed(2)} s`);
      } else {
        const before = await stats();
        const sampler = sampleRss(gw.child.pid, 20);
        const cpuBefore = cpuMs(gw.child.pid);
        const g = await gatewayUpload(gw, file);
        const cpu = (cpuMs(gw.child.pid) - cpuBefore) / 1000;
        const peak = await sampler.stop();
        const after = await stats();
        const copies = ['/a', '/b'].map((p) => ({ count: (after[p]?.count ?? 0) - (before[p]?.count ?? 0), bytes: (after[p]?.bytes ?? 0) - (before[p]?.bytes ?? 0) }));
        if (copies.some((c) => c.count !== 1)) throw new Error(`expected one copy per deployment, upstream saw ${JSON.stringify(copies)}`);
        r.gateway.push(g.seconds);
        r.cpu.push(cpu);
        r.peak.push(peak);
        console.log(
          `run ${run} ${mb} MB gateway: ${g.seconds.toFixed(2)} s (gateway CPU ${cpu.toFixed(2)} s), peak RSS ${peak.toFixed(1)} MB, ${Math.round(LINES / g.seconds).toLocaleString('en-US')} lines/s, copies of ${copies.map((c) => (c.bytes / 1e6).toFixed(1)).join(' + ')} MB`,
        );
      }
    }
  }
  await sleep(3000);
  r.idleEnd = await rssMb(gw.child.pid);
  await stop(gw.child);
}

const rows = [['size', 'direct s', 'gateway s', 'ratio (≤ 4×)', 'gateway CPU s', 'lines/s (≥ 250,000)', 'peak RSS MB, median / highest (≤ 120)', 'RSS MB 1 s after start → 3 s after the last upload']];
const summary = [];
for (const mb of SIZES) {
  const r = results[mb];
  const d = median(r.direct);
  const g = median(r.gateway);
  const lps = LINES / g;
  // The target is a ceiling, so it is judged on the highest peak of any upload, not the median:
  // a one-off (a compile, a late collection) is what a container's memory limit meets.
  const peak = Math.max(...r.peak);
  rows.push([`${(files[mb].bytes / 1e6).toFixed(0)} MB`, d.toFixed(2), g.toFixed(2), `${(g / d).toFixed(1)}×`, median(r.cpu).toFixed(2), Math.round(lps).toLocaleString('en-US'), `${median(r.peak).toFixed(1)} / ${peak.toFixed(1)}`, `${r.idleStart.toFixed(1)} → ${r.idleEnd.toFixed(1)}`]);
  summary.push(`${mb} MB ${(g / d).toFixed(1)}× direct (target ≤ 4×: ${g / d <= 4 ? 'met' : 'MISSED'}), ${Math.round(lps).toLocaleString('en-US')} lines/s (≥ 250,000: ${lps >= 250_000 ? 'met' : 'MISSED'}), highest peak RSS ${peak.toFixed(0)} MB (≤ 120: ${peak <= 120 ? 'met' : 'MISSED'}), RSS ${r.idleStart.toFixed(0)} MB 1 s after start (the ≤ 80 MB idle target is judged by bench/idle-memory.mjs, 25 s after ready)`);
}
console.log(`\nmedians of ${RUNS} runs\n`);
console.log(table(rows));
console.log(`\nuploads: ${summary.join('; ')}`);

await stop(fake.child);
cleanupSync();
