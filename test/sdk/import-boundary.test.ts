/**
 * Importing the built SDK (`dist/sdk/index.js`, the package's main export) loads no server code
 * and no database driver: a child process records every module the ESM loader resolves (a
 * resolve hook appending to a file), imports the SDK, and the list must hold no fastify, pg,
 * better-sqlite3 or kysely module, nor anything of `dist/http`, `dist/server` or `dist/store`
 * except the filesystem blob store.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempStateDir } from './support.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'dist/sdk/index.js');

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.TRACE_FILE, result.url + '\\n');
  return result;
}`;
const REGISTER = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));`;

let state: Awaited<ReturnType<typeof tempStateDir>>;
beforeAll(async () => {
  state = await tempStateDir();
});
afterAll(() => state?.cleanup());

describe('the SDK import boundary', () => {
  it('loads no fastify, pg, better-sqlite3 or kysely module', async () => {
    const trace = join(state.dir, 'resolved.txt');
    const script = `
      // The package's own name resolves (through package.json "exports") to the built SDK.
      const sdk = await import('batchgate');
      if (sdk !== await import(${JSON.stringify(pathToFileURL(ENTRY).href)})) throw new Error("'batchgate' is not dist/sdk/index.js");
      for (const name of ['createFile', 'retrieveFile', 'fileContent', 'deleteFile', 'listFiles', 'createBatch', 'retrieveBatch', 'cancelBatch', 'listBatches', 'waitForBatch', 'createRouter', 'createClient', 'SdkError']) {
        if (typeof sdk[name] !== 'function') throw new Error('missing export ' + name);
      }
      // CommonJS modules pulled in by anything also show up here.
      const { createRequire } = await import('node:module');
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(cache));`;
    const { stdout } = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TRACE_FILE: trace },
    });
    const resolved = (await readFile(trace, 'utf8')).trim().split('\n');
    const cjs = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
    const loaded = [...resolved, ...cjs];
    expect(resolved).toContain(pathToFileURL(ENTRY).href);
    expect(resolved.some((u) => u.includes('/dist/providers/registry.js'))).toBe(true);
    const forbidden = loaded.filter((u) => /node_modules\/(fastify|@fastify|pg|pg-[a-z-]+|better-sqlite3|kysely)\//.test(u));
    expect(forbidden).toEqual([]);
    const server = loaded.filter((u) => /\/dist\/(http|server|worker|store\/(?!blobs\/(fs-blob-store|body)\.js))/.test(u));
    expect(server).toEqual([]);
  });
});
