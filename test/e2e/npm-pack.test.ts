/**
 * `npm pack` produces a package that installs and runs on its own (issue 12): the tarball holds
 * the built gateway and the examples but no sources or tests, installs into an empty project (from
 * the npm cache where it can: `npm ci` caches tarballs but not the registry's package documents,
 * which resolving a bare tarball's ranges needs, so a fresh machine asks the registry), and its `batchgate` bin serves the quick-start config from there. The native
 * SQLite binding is copied from this checkout rather than compiled again (same version, same Node):
 * what is under test is our package, not better-sqlite3's build. Needs `npm run build` first.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir, type TempDir } from '../helpers/gateway.js';

const run = promisify(execFile);
let dir: TempDir;
let app: string;

beforeAll(async () => {
  dir = await tempDir('bg-pack-');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.path], { cwd: REPO_ROOT });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  app = join(dir.path, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  await run('npm', ['install', join(dir.path, packed!.filename), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app });
  const binding = join('better-sqlite3', 'build', 'Release');
  await mkdir(join(app, 'node_modules', binding), { recursive: true });
  await copyFile(join(REPO_ROOT, 'node_modules', binding, 'better_sqlite3.node'), join(app, 'node_modules', binding, 'better_sqlite3.node'));
  (globalThis as { packedFiles?: string[] }).packedFiles = packed!.files.map((f) => f.path);
}, 180_000);

afterAll(async () => {
  await dir?.remove();
});

describe('the packed package', () => {
  it('holds the build, the examples and the docs, and no sources or tests', () => {
    const files = (globalThis as { packedFiles?: string[] }).packedFiles ?? [];
    expect(files).toContain('dist/bin/batchgate.js');
    expect(files).toContain('examples/quickstart.yaml');
    expect(files).toContain('README.md');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('bench/'))).toBe(false);
  });

  it('serves the quick start from its bin in another directory', async () => {
    expect(await readdir(join(app, 'node_modules', '.bin'))).toContain('batchgate');
    const config = join(app, 'node_modules', 'batchgate', 'examples', 'quickstart.yaml');
    const child = spawn(join(app, 'node_modules', '.bin', 'batchgate'), ['serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--data-dir', join(dir.path, 'data')], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const address = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.on('line', (line) => {
          try {
            const entry = JSON.parse(line) as { msg?: string; address?: string };
            if (entry.msg === 'batchgate listening' && typeof entry.address === 'string') resolve(entry.address);
          } catch {
            // not a log line
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${String(code)} before listening: ${stderr}`)));
      });
      const models = await fetch(`${address}/v1/models`, { headers: { authorization: 'Bearer sk-batchgate-quickstart' } });
      expect(models.status).toBe(200);
      expect(JSON.stringify(await models.json())).toContain('demo');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  }, 60_000);
});
