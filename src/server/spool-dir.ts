/**
 * The spool directory of one gateway process. Uploads are spooled under
 * `<data dir>/spool/<pid>-<random>/`, so a process that starts can tell its predecessors' leftovers
 * from the live uploads of a sibling process sharing the data dir: a folder whose process is gone
 * (killed mid-upload, the machine rebooted) is removed, with everything in it. A pid equal to our
 * own is a predecessor too (containers restart as pid 1). Loose files directly under the root come
 * from before per-process folders and nothing owns them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../domain/ports/logger.js';

export interface SpoolDir {
  readonly path: string;
  /** Removes this process's folder (at shutdown). */
  release(): Promise<void>;
}

const OWNED = /^(\d+)-[0-9a-f-]{36}$/;

const isAlive = (pid: number): boolean => {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Bytes under `path` (best effort), to say in the log how much a crash had left behind. */
async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (info === null) return 0;
  if (!info.isDirectory()) return info.size;
  const entries = await readdir(path).catch(() => []);
  let total = 0;
  for (const entry of entries) total += await sizeOf(join(path, entry));
  return total;
}

export async function claimSpoolDir(root: string, logger: Logger): Promise<SpoolDir> {
  await mkdir(root, { recursive: true });
  let removed = 0;
  let bytes = 0;
  for (const entry of await readdir(root)) {
    const owner = OWNED.exec(entry);
    if (owner !== null && isAlive(Number(owner[1]))) continue;
    const path = join(root, entry);
    bytes += await sizeOf(path);
    await rm(path, { recursive: true, force: true });
    removed += 1;
  }
  if (removed > 0) logger.warn({ removed, bytes }, 'removed spool files left by a gateway process that is gone');
  const path = join(root, `${process.pid}-${randomUUID()}`);
  await mkdir(path, { recursive: true });
  return { path, release: () => rm(path, { recursive: true, force: true }) };
}
