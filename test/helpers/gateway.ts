/**
 * Starts batchgate for tests: in process (composition root + a real listener on 127.0.0.1) or as
 * a separate `node dist/bin/batchgate.js` process (the package's bin), exactly as users run it. Both clean up after
 * themselves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/load.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import { composeGateway, type Gateway } from '../../src/server/compose.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The built command line as installed (`bin` in package.json, bundled by `npm run build`). */
export const BATCHGATE_BIN = join(REPO_ROOT, 'dist/bin/batchgate.js');

export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

export const tempDir = async (prefix = 'bg-test-'): Promise<TempDir> => {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
};

export interface InProcessGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly dataDir: string;
  /** Closes the gateway; the data dir is kept when `keepData` so a restart can reuse it. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface GatewayOptions {
  readonly yaml: string;
  readonly env?: Record<string, string>;
  /** Reuse a data dir (to restart on the same embedded store). */
  readonly dataDir?: string;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Run the background reconciler (default true); tests that drive it by hand turn it off. */
  readonly reconcile?: boolean;
  /**
   * Run the lifecycle worker in the background (default false in process: a worker polling behind
   * a test's back would move the fakes' batches; drive it with `gateway.poller.runOnce()`).
   */
  readonly worker?: boolean;
  /** Run gateway-executed batches in the background (default true, looking every 50 ms). */
  readonly executor?: boolean;
}

export async function startGateway(options: GatewayOptions): Promise<InProcessGateway> {
  const dir = options.dataDir === undefined ? await tempDir() : { path: options.dataDir, remove: async () => {} };
  const configPath = join(dir.path, 'config.yaml');
  await writeFile(configPath, options.yaml);
  const config = await loadConfig({
    configPath,
    // Tests step the fakes' batches one retrieve at a time; those that test the freshness bound
    // set `batch_freshness_seconds` in their config, which wins over this.
    env: { BATCHGATE_BATCH_FRESHNESS_SECONDS: '0', ...options.env },
    overrides: { dataDir: dir.path, host: '127.0.0.1', port: 0 },
  });
  const gateway = await composeGateway(config, {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.reconcile === undefined ? {} : { reconcile: options.reconcile }),
    worker: options.worker ?? false,
    executor: options.executor ?? true,
    executorTickMs: 50,
  });
  const address = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    gateway,
    dataDir: dir.path,
    async close(closeOptions) {
      await gateway.close();
      if (closeOptions?.keepData !== true) await dir.remove();
    },
  };
}

export interface SpawnedGateway {
  readonly url: string;
  readonly child: ChildProcess;
  /** Peak resident set size of the gateway process so far (Linux VmHWM), in bytes. */
  peakRssBytes(): Promise<number>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Everything the process printed, for diagnosing a failure. */
  output(): string;
}

export interface SpawnOptions {
  readonly configPath?: string;
  readonly dataDir: string;
  readonly env?: Record<string, string>;
  readonly nodeArgs?: readonly string[];
  readonly args?: readonly string[];
}

export async function spawnGateway(options: SpawnOptions): Promise<SpawnedGateway> {
  const args = [
    ...(options.nodeArgs ?? []),
    BATCHGATE_BIN,
    'serve',
    ...(options.configPath === undefined ? [] : ['--config', options.configPath]),
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--data-dir',
    options.dataDir,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', BATCHGATE_BATCH_FRESHNESS_SECONDS: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      printed += `${line}\n`;
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'batchgate listening' && typeof entry.address === 'string') res(entry.address);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => rej(new Error(`gateway exited with ${String(code)} before listening:\n${printed}`)));
  });
  return {
    url,
    child,
    async peakRssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kb) * 1024;
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    output: () => printed,
  };
}

export interface SpawnedWorker {
  readonly child: ChildProcess;
  /** Everything the process printed. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `batchgate worker` (the lifecycle worker alone, no HTTP) and waits until it runs. */
export async function spawnWorker(options: { readonly configPath: string; readonly dataDir: string; readonly env?: Record<string, string> }): Promise<SpawnedWorker> {
  const child = spawn(process.execPath, [BATCHGATE_BIN, 'worker', '--config', options.configPath, '--data-dir', options.dataDir], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      printed += `${line}\n`;
      if (line.includes('batchgate worker running')) res();
    });
    void exited.then((code) => rej(new Error(`worker exited with ${String(code)} before running:\n${printed}`)));
  });
  return {
    child,
    output: () => printed,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
