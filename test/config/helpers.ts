/** Temporary config files and ConfigError inspection for the config tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ConfigError } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'batchgate-config-'));
let count = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `yaml` to a fresh file and returns its path. */
export function writeConfig(yaml: string): string {
  count += 1;
  const path = join(dir, `config-${count}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

export function tempPath(name: string): string {
  return join(dir, name);
}

/** The ConfigError a load rejects with; fails the test when it resolves or throws something else. */
export async function configError(load: Promise<unknown>): Promise<ConfigError> {
  try {
    await load;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to reject with a ConfigError');
}

export async function problemsOf(load: Promise<unknown>): Promise<readonly string[]> {
  return (await configError(load)).problems;
}
