/**
 * The Chromium the browser tests drive: the system package (`apt-get install chromium`), never a
 * downloaded one. BATCHGATE_CHROMIUM names it, else `chromium` or `chromium-browser` on the PATH.
 * Without one the suite is skipped with a printed reason, unless BATCHGATE_REQUIRE_BROWSER=1 (CI),
 * where a missing browser is a failure, never a silent skip — as BATCHGATE_REQUIRE_POSTGRES does.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export type ChromiumForTests = { available: true; path: string } | { available: false; reason: string };

const onPath = (name: string): string | null => {
  try {
    return execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
};

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function chromiumForTests(): ChromiumForTests {
  const named = process.env.BATCHGATE_CHROMIUM;
  const path = named !== undefined && named !== '' ? named : (onPath('chromium') ?? onPath('chromium-browser'));
  const found: ChromiumForTests =
    path !== null && executable(path)
      ? { available: true, path }
      : { available: false, reason: `no Chromium found (${named ? `BATCHGATE_CHROMIUM=${named} is not executable` : 'none on the PATH'}); apt-get install -y chromium, or set BATCHGATE_CHROMIUM` };
  if (!found.available && process.env.BATCHGATE_REQUIRE_BROWSER === '1') {
    throw new Error(`BATCHGATE_REQUIRE_BROWSER=1 but ${found.reason}`);
  }
  return found;
}

export async function launchChromium(path: string): Promise<Browser> {
  return chromium.launch({
    executablePath: path,
    headless: true,
    // Containers and CI run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
