// Bundles the compiled command line (dist/cli/main.js and everything it imports) into dist/bin
// (run by `npm run build`, after tsc). Why: loading the server as ~900 small modules of ours and
// our dependencies took 0.5 s of every start-up, most of it resolving and reading files; one
// bundle is read and compiled in a fraction of that (bench/startup.mjs, bench/RESULTS.md).
// Code splitting keeps the dynamic imports lazy: `batchgate batch …` still never loads the server.
//
// Left out of the bundle, and resolved from node_modules at run time: native addons
// (better-sqlite3), pg (it probes for the optional pg-native), and the AWS credential and signing
// packages (already loaded lazily, only by Bedrock deployments).
import { chmod, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
const out = resolve(root, 'dist/bin');

await rm(out, { recursive: true, force: true });
await build({
  entryPoints: { batchgate: resolve(root, 'dist/cli/main.js') },
  outdir: out,
  // Chunks sit next to the entry so code that finds files relative to its own module (the
  // console's assets, package.json) sees the same folder depth from every chunk.
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.js' },
  external: ['better-sqlite3', 'pg', 'pg-native', '@aws-sdk/*', '@smithy/*', '@aws-crypto/*'],
  // Dependencies written as CommonJS call require(); an ES module has none, so each output file
  // makes its own from its URL.
  banner: { js: "import { createRequire as __batchgateRequire } from 'node:module'; const require = __batchgateRequire(import.meta.url);" },
  legalComments: 'linked',
  // Without it esbuild keeps our dependencies' comments, and one non-Latin-1 character (an em
  // dash, a curly quote) makes V8 hold that whole chunk's source as two bytes per character: 9 MB
  // of the idle heap was bundle text. Names stay unminified, so stack traces still read.
  minifyWhitespace: true,
  logLevel: 'warning',
});
// Runnable as ./dist/bin/batchgate.js from a checkout too (npm sets the mode itself on install).
await chmod(resolve(out, 'batchgate.js'), 0o755);
