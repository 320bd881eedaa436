/**
 * Shared plumbing of the benchmarks (not a benchmark itself): child processes and temp folders
 * that are cleaned up on exit, Ctrl-C or error; the gateway and the fakes started and waited
 * for; peers installed at run time into a temp folder; RSS sampling; medians; the machine.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '..');
export const BENCH = resolve(import.meta.dirname);

const children = new Set();
const dirs = new Set();
let cleaned = false;

/** Kills every child this process started (by pid) and removes every temp folder it made. */
export function cleanupSync() {
  if (cleaned) return;
  cleaned = true;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the processes and removing the temp folders\n`);
    cleanupSync();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  cleanupSync();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  cleanupSync();
  process.exit(1);
});

export function tempDir(tag) {
  const dir = mkdtempSync(join(tmpdir(), `bg-bench-${tag}-`));
  dirs.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Spawns a process that is killed when the bench ends, however it ends. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Starts `bench/fake-upstream.mjs` in its own process; resolves to `{url, child}`. */
export async function startFake(nodeArgs = []) {
  const child = track(spawn(process.execPath, [...nodeArgs, join(BENCH, 'fake-upstream.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const url = await new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => {
      try {
        res(JSON.parse(l).listening);
      } catch (err) {
        rej(err);
      }
    });
    child.once('exit', (c) => rej(new Error(`fake upstream exited ${c}`)));
  });
  child.stdout.resume();
  return { url, child };
}

/** GATEWAY_NODE_ARGS: flags for every gateway a bench starts (a V8 setting measured against its absence). */
export const gatewayNodeArgs = () => (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts the built gateway (`dist/bin/batchgate.js serve`, or BG_ENTRY, e.g. the unbundled
 * `dist/cli/main.js` for a profile with file names) with this config text in a fresh temp
 * folder (embedded SQLite under it). Its log goes to a file there, not through a pipe into the
 * bench process, which is also the load generator. Resolves to `{url, child, dir, log}`.
 */
export async function startGateway(configText, { nodeArgs = [], logLevel, tag = 'gw', entry = process.env.BG_ENTRY ?? 'dist/bin/batchgate.js' } = {}) {
  const dir = tempDir(tag);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, configText);
  const log = join(dir, 'gateway.log');
  const fd = openSync(log, 'w');
  // A port chosen here rather than `--port 0`: with a quieter --log-level the "listening" line
  // is not written, so readiness is the liveliness route.
  const port = await freePort();
  const args = [...gatewayNodeArgs(), ...nodeArgs, resolve(ROOT, entry), 'serve', '--config', config, '--port', String(port), '--host', '127.0.0.1', '--data-dir', join(dir, 'data')];
  if (logLevel) args.push('--log-level', logLevel);
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', fd, fd], cwd: dir }));
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      if ((await fetch(`${url}/health/liveliness`)).ok) return { url, child, dir, log };
    } catch {}
    if (Date.now() > deadline) throw new Error(`gateway did not start:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    await sleep(50);
  }
}

/**
 * Installs npm packages into a temp folder with `npm install --prefix <tmp>` (the project's own
 * dependencies are not touched). Resolves to the folder; `import(join(dir, 'node_modules', …))`.
 */
export function installPeers(packages, tag = 'peers') {
  const dir = tempDir(tag);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-peers', private: true, type: 'module' }));
  process.stderr.write(`installing ${packages.join(', ')} into ${dir} …\n`);
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', ...packages], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

export const versionOf = (dir, pkg) => JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;

export async function rssMb(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(text)[1]) / 1024;
}

/** Samples VmRSS every `everyMs`; `stop()` resolves to the highest value seen. */
export function sampleRss(pid, everyMs = 20) {
  let peak = 0;
  let last = 0;
  const timer = setInterval(() => {
    rssMb(pid)
      .then((mb) => {
        last = mb;
        if (mb > peak) peak = mb;
      })
      .catch(() => {});
  }, everyMs);
  return {
    get peak() {
      return peak;
    },
    get last() {
      return last;
    },
    async stop() {
      clearInterval(timer);
      const mb = await rssMb(pid).catch(() => 0);
      return Math.max(peak, mb);
    },
  };
}

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {}
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc').toString().trim());
  } catch {}
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {}
  return {
    nproc,
    model,
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    freeGiB: (freemem() / 2 ** 30).toFixed(1),
    node: process.version,
    load,
    text() {
      return `machine: nproc ${this.nproc}, ${this.model}, ${this.memGiB} GiB (${this.freeGiB} free), Node ${this.node}, load average ${this.load}`;
    },
  };
}

/** A plain text table: `rows` are arrays of cells, the first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r, n) => {
      const line = `| ${r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
      return n === 0 ? `${line}\n|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|` : line;
    })
    .join('\n');
}

/** A process's user + system CPU so far, in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Config of one gateway-executed `bench-chat` deployment in front of `fakeUrl`, master key `key`. */
export const executedChatConfig = (fakeUrl, { key = 'sk-bench', parallel = 32, extra = '' } = {}) => `model_list:
  - model_name: bench-chat
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${fakeUrl}/v1", api_key: sk-upstream, max_parallel_requests: ${parallel} }
    model_info: { batch_execution: gateway }
general_settings:
  master_key: ${key}
${extra}`;

/**
 * Writes a batch file of `lines` chat lines of about `mb` MB in all, every `body.model` being
 * `model`, streamed to disk (never held in memory). Resolves to its size in bytes.
 */
export async function writeBatchFile(path, { mb, lines, model }) {
  const perLine = Math.floor((mb * 1e6) / lines);
  const head = (i) => `{"custom_id":"request-${i}","method":"POST","url":"/v1/chat/completions","body":{"model":"${model}","messages":[{"role":"user","content":"`;
  const tail = '"}],"max_tokens":64}}\n';
  const out = createWriteStream(path);
  const filler = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(perLine / 27) + 1);
  for (let i = 0; i < lines; i++) {
    const h = head(i);
    const line = h + filler.slice(0, Math.max(1, perLine - h.length - tail.length)) + tail;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

/** The request body of chat line `i` of the executor benches. */
export const chatBody = (i) => ({ model: 'bench-chat', messages: [{ role: 'user', content: `request number ${i}: say hello` }], max_tokens: 16 });

/** A batch input of `lines` chat requests for `bench-chat`. */
export const chatJsonl = (lines) =>
  Array.from({ length: lines }, (_, i) => JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: chatBody(i) })).join('\n');

/**
 * Uploads `jsonl` to the gateway and creates a batch on it; `onCreate` runs just before the create
 * (to start a clock or a CPU reading). Resolves to the batch; `waitForBatch` follows it.
 */
export async function createBatch(gw, jsonl, { key = 'sk-bench', onCreate } = {}) {
  const auth = { authorization: `Bearer ${key}` };
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([jsonl]), 'in.jsonl');
  const up = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: auth, body: form });
  if (!up.ok) throw new Error(`upload: ${up.status} ${await up.text()}`);
  const file = await up.json();
  onCreate?.();
  const created = await fetch(`${gw.url}/v1/batches`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
  });
  if (!created.ok) throw new Error(`create: ${created.status} ${await created.text()}`);
  return created.json();
}

/** Polls a batch every `everyMs` until it is terminal; `onPoll(batch)` sees each answer. */
export async function waitForBatch(gw, batch, { key = 'sk-bench', everyMs = 100, onPoll } = {}) {
  while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
    await sleep(everyMs);
    batch = await (await fetch(`${gw.url}/v1/batches/${batch.id}`, { headers: { authorization: `Bearer ${key}` } })).json();
    onPoll?.(batch);
  }
  return batch;
}

/**
 * Runs `once(entry)` for every build in `entries`, `runs` times, the order reversed every other
 * run so neither build always goes first on a machine whose load drifts; `describe(result)` is
 * printed per run. Resolves to a Map entry → results.
 */
export async function alternateBuilds(entries, runs, once, describe) {
  const results = new Map(entries.map((e) => [e, []]));
  for (let run = 1; run <= runs; run++) {
    for (const entry of run % 2 === 1 ? entries : [...entries].reverse()) {
      const r = await once(entry);
      results.get(entry).push(r);
      console.log(`run ${run} ${entry}: ${describe(r)}`);
    }
  }
  return results;
}
