#!/usr/bin/env node
/**
 * CPU profile of the gateway executing one batch (issue 14, point 3: where the executor's time
 * goes): the built gateway runs with `--cpu-prof` against `bench/fake-upstream.mjs`, executes a
 * LINES-line chat batch (default 20,000), and is stopped; the profile's self time is then summed
 * by function and by package and the top entries printed.
 *
 *   npm run build && node bench/profile-executor.mjs            # PROFILE_DIR=<dir> keeps the .cpuprofile
 *   BG_ENTRY=dist/cli/main.js node bench/profile-executor.mjs   # unbundled: self time by source file
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summariseProfile } from './cpu-profile.mjs';
import { chatJsonl, createBatch, executedChatConfig, machine, startFake, startGateway, stop, tempDir, waitForBatch } from './lib.mjs';

const LINES = Number(process.env.LINES ?? 20_000);
const PARALLEL = Number(process.env.PARALLEL ?? 32);
const profileDir = process.env.PROFILE_DIR ?? tempDir('exec-prof');

console.log(machine().text());
const fake = await startFake();
const gw = await startGateway(executedChatConfig(fake.url, { parallel: PARALLEL }), { tag: 'exec-prof', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`], logLevel: process.env.BG_LOG_LEVEL });
let t0 = 0;
const batch = await waitForBatch(gw, await createBatch(gw, chatJsonl(LINES), { onCreate: () => (t0 = performance.now()) }), { everyMs: 200 });
const seconds = (performance.now() - t0) / 1000;
console.log(`${batch.status}: ${LINES} lines in ${seconds.toFixed(1)} s (${Math.round(LINES / seconds)} lines/s)`);
await stop(gw.child);
await stop(fake.child);

const name = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
console.log(`\n${summariseProfile(join(profileDir, name), Number(process.env.TOP ?? 40))}`);
if (process.env.PROFILE_DIR) console.log(`\nprofile kept in ${join(profileDir, name)}`);
