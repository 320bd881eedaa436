/**
 * Idle memory (issue 14, point 2: "≤ 80 MB idle"): starts the built gateway on the quick-start
 * config in a fresh data folder and reads VmRSS and RssAnon from /proc 3 s and 25 s after it is
 * ready (by 25 s V8's memory reducer has shrunk the young generation). ENTRIES compares builds,
 * alternated run by run; medians.
 *
 *   npm run build && node bench/idle-memory.mjs 3
 *   ENTRIES=.before/dist/bin/batchgate.js,dist/bin/batchgate.js node bench/idle-memory.mjs 3
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternateBuilds, machine, median, removeDir, ROOT, sleep, startGateway, stop } from './lib.mjs';

const runs = Number(process.argv[2] ?? 3);
const entries = (process.env.ENTRIES ?? 'dist/bin/batchgate.js').split(',');
const TARGET_MB = 80;
const config = readFileSync(join(ROOT, 'examples/quickstart.yaml'), 'utf8');

async function memory(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)[1]);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024 };
}

async function once(entry) {
  process.env.BG_ENTRY = entry;
  const gw = await startGateway(config, { tag: 'idle' });
  try {
    await sleep(3000);
    const early = await memory(gw.child.pid);
    await sleep(22_000);
    const late = await memory(gw.child.pid);
    return { early, late };
  } finally {
    await stop(gw.child);
    removeDir(gw.dir);
  }
}

console.log(machine().text());
const results = await alternateBuilds(entries, runs, once, (r) =>
  `VmRSS ${r.early.rss.toFixed(1)} MB at 3 s, ${r.late.rss.toFixed(1)} MB at 25 s (RssAnon ${r.late.anon.toFixed(1)} MB)`,
);
for (const [entry, rs] of results) {
  const at25 = median(rs.map((r) => r.late.rss));
  console.log(
    `idle-memory ${entry}: VmRSS ${median(rs.map((r) => r.early.rss)).toFixed(1)} MB 3 s after ready, ${at25.toFixed(1)} MB at 25 s ` +
      `(RssAnon ${median(rs.map((r) => r.late.anon)).toFixed(1)} MB), median of ${rs.length} (target ≤ ${TARGET_MB} MB: ${at25 <= TARGET_MB ? 'met' : 'MISSED'})`,
  );
}
