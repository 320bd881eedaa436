// Builds the console into dist/ui (run by `npm run build`, after its type check): index.html, and
// every asset under assets/<version>/ where <version> is a hash of all the assets, so a cached
// asset URL always names the same bytes (served `immutable`) and a new build gets new URLs.
// Node built-ins only: nothing is downloaded at build time.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const here = import.meta.dirname;
const out = resolve(here, '../../dist/ui');

/** Every file under `dir`, as paths relative to `base`, sorted so the hash is stable. */
async function filesUnder(dir, base = dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path, base)));
    else found.push(relative(base, path).split('\\').join('/'));
  }
  return found.sort();
}

const assets = new Map();
for (const name of await filesUnder(join(here, 'app'))) assets.set(name, await readFile(join(here, 'app', name)));
for (const name of await filesUnder(join(here, 'static'))) {
  if (name !== 'index.html') assets.set(name, await readFile(join(here, 'static', name)));
}

const hash = createHash('sha256');
for (const [name, body] of assets) hash.update(name).update('\0').update(body).update('\0');
const version = hash.digest('hex').slice(0, 16);

await rm(out, { recursive: true, force: true });
for (const [name, body] of assets) {
  const path = join(out, 'assets', version, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}
const index = (await readFile(join(here, 'static', 'index.html'), 'utf8')).replaceAll('{{ASSETS}}', `assets/${version}`);
await writeFile(join(out, 'index.html'), index);
await writeFile(join(out, 'manifest.json'), `${JSON.stringify({ version, assets: [...assets.keys()] }, null, 2)}\n`);
console.log(`console built: dist/ui (${assets.size} assets, version ${version})`);
