#!/usr/bin/env node
/**
 * One copy of a managed upload, in process (issue 14, point 2): a batch file streamed from disk
 * through `rewriteForDeployment` for an OpenAI-format upstream (every line's `body.model`
 * replaced) and the bytes dropped, without the HTTP, spool and sockets around it, so the cost of
 * the rewrite itself is measured without the noise of three processes on two cores.
 *
 * Run by hand: `npm run build && node bench/rewrite-copy.mjs [runs]` (default 5).
 * Environment: BUILDS=.before,. (folders holding a built `dist/`, alternated run by run; default
 *   `.`), FILE=<a batch .jsonl> (default: a 200 MB, 50,000-line file generated into a temp folder,
 *   removed at the end).
 */
import { createReadStream, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, median, removeDir, tempDir, writeBatchFile } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const BUILDS = (process.env.BUILDS ?? '.').split(',');
const ROOT = resolve(import.meta.dirname, '..');

let dir = null;
let file = process.env.FILE;
if (file === undefined) {
  dir = tempDir('rewrite-copy');
  file = join(dir, 'batch.jsonl');
  await writeBatchFile(file, { mb: 200, lines: 50_000, model: 'bench-group' });
}
try {
  console.log(machine().text());
  const adapter = { capabilities: { lineFormat: 'openai' }, encodeInputLine: (line) => line };
  const builds = await Promise.all(
    BUILDS.map(async (b) => ({ name: b, mod: await import(pathToFileURL(resolve(ROOT, b, 'dist/domain/files/rewrite-lines.js')).href), ms: [] })),
  );
  for (let run = 1; run <= RUNS; run++) {
    for (const b of builds) {
      const start = process.hrtime.bigint();
      let bytes = 0;
      const source = createReadStream(file, { highWaterMark: 256 * 1024 });
      for await (const chunk of b.mod.rewriteForDeployment(source, adapter, 'gpt-4o-mini')) bytes += chunk.length;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      b.ms.push(ms);
      console.log(`run ${run} ${b.name}: ${ms.toFixed(0)} ms, ${(bytes / 1e6).toFixed(1)} MB out`);
    }
  }
  const mb = statSync(file).size / 1e6;
  const first = median(builds[0].ms);
  console.log(
    `rewrite-copy: ${builds.map((b) => `${b.name} ${median(b.ms).toFixed(0)} ms (${((1e3 * mb) / median(b.ms)).toFixed(0)} MB/s)`).join(', ')}` +
      (builds.length > 1 ? `; ${builds.at(-1).name} takes ${(median(builds.at(-1).ms) / first).toFixed(2)}× ${builds[0].name}'s time` : ''),
  );
} finally {
  if (dir !== null) removeDir(dir);
}
