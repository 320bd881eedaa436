/**
 * Start-up to ready (issue 12: "start-up to ready stays under a second"): spawns the built
 * gateway on the quick-start config in a fresh data folder, as `npm start` does, and times
 * spawn → the first answer of `/health/readiness` (polled every 5 ms), N runs, median.
 * Also times a bare `node -e ''` in the same run, so the figure can be read against what node
 * itself costs on this machine.
 *
 *   npm run build && node bench/startup.mjs 9
 *   ENTRY=dist/cli/main.js node bench/startup.mjs 9    # the unbundled tsc output, to compare
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, machine, median, ROOT, sleep, stop, tempDir, track } from './lib.mjs';

const runs = Number(process.argv[2] ?? 7);
const entry = join(ROOT, process.env.ENTRY ?? 'dist/bin/batchgate.js');
const config = join(ROOT, 'examples/quickstart.yaml');
const TARGET_MS = 1000;

async function once() {
  const dir = tempDir('startup');
  const port = await freePort();
  const log = join(dir, 'gateway.log');
  const fd = openSync(log, 'w');
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [entry, 'serve', '--config', config, '--port', String(port), '--host', '127.0.0.1', '--data-dir', join(dir, 'data')], {
      stdio: ['ignore', fd, fd],
      cwd: dir,
    }),
  );
  closeSync(fd);
  const url = `http://127.0.0.1:${port}/health/readiness`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {}
    if (performance.now() - started > 30_000) throw new Error('gateway not ready after 30 s');
    await sleep(5);
  }
  const ms = performance.now() - started;
  await stop(child);
  return ms;
}

function bareNode() {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return performance.now() - t;
}

const m = machine();
console.log(m.text());
await once(); // warms the page cache, as a second `npm start` would find it
const times = [];
const bare = [];
for (let i = 0; i < runs; i++) {
  bare.push(bareNode());
  times.push(await once());
}
const ready = median(times);
console.log(`runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms; bare node: ${median(bare).toFixed(0)} ms (median)`);
console.log(
  `startup: spawn → ready ${ready.toFixed(0)} ms median of ${runs} (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}); target < ${TARGET_MS} ms: ${ready < TARGET_MS ? 'met' : 'MISSED'}`,
);
