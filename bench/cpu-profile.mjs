#!/usr/bin/env node
/**
 * Sums a V8 `.cpuprofile` (from `node --cpu-prof`) by self time: per package, per batchgate source
 * file (run the unbundled `dist/cli/main.js`, BG_ENTRY, for file names) and per function. Used by
 * the profile-* benches; runnable on its own: `node bench/cpu-profile.mjs <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs';

export function summariseProfile(file, topFunctions = 40) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  const byFn = new Map();
  const byPkg = new Map();
  const byFile = new Map();
  let total = 0;
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id);
    total += us;
    const path = f.url.replace(/^file:\/\//, '');
    const where = path.includes('/node_modules/') ? path.replace(/.*node_modules\//, 'nm:') : path.replace(/.*\/dist\//, 'dist/');
    add(byFn, `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`, us);
    const inPackage = where.startsWith('nm:') ? where.slice(3) : null;
    const pkg =
      inPackage !== null
        ? inPackage.split('/').slice(0, inPackage.startsWith('@') ? 2 : 1).join('/')
        : where === ''
          ? f.functionName || '(native)'
          : where.startsWith('node:')
            ? 'node:*'
            : 'batchgate';
    add(byPkg, pkg, us);
    if (pkg === 'batchgate') add(byFile, where, us);
  }
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
      .join('\n');
  return `self time by package (${(total / 1000).toFixed(0)} ms sampled):\n${top(byPkg, 15)}\n\nbatchgate's by file:\n${top(byFile, 25)}\n\nby function:\n${top(byFn, topFunctions)}`;
}

if (import.meta.filename === process.argv[1]) console.log(summariseProfile(process.argv[2], Number(process.argv[3] ?? 40)));
