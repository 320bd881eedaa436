/**
 * The Firefox the browser tests drive: the system package (`apt-get install firefox-esr`), never a
 * downloaded one, through puppeteer-core's WebDriver BiDi (Playwright's Firefox needs its own
 * patched build, which would be a download). BATCHGATE_FIREFOX names it, else `firefox-esr` or
 * `firefox` on the PATH. Missing: skipped with a reason, or a failure under
 * BATCHGATE_REQUIRE_BROWSER=1 (CI), as for Chromium.
 */
import { execFileSync } from 'node:child_process';
import puppeteer, { type Browser } from 'puppeteer-core';

export type FirefoxForTests = { available: true; path: string } | { available: false; reason: string };

const onPath = (name: string): string | null => {
  try {
    return execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
};

export function firefoxForTests(): FirefoxForTests {
  const named = process.env.BATCHGATE_FIREFOX;
  const path = named !== undefined && named !== '' ? named : (onPath('firefox-esr') ?? onPath('firefox'));
  const found: FirefoxForTests = path !== null ? { available: true, path } : { available: false, reason: 'no Firefox found; apt-get install -y firefox-esr, or set BATCHGATE_FIREFOX' };
  if (!found.available && process.env.BATCHGATE_REQUIRE_BROWSER === '1') throw new Error(`BATCHGATE_REQUIRE_BROWSER=1 but ${found.reason}`);
  return found;
}

export const launchFirefox = (path: string): Promise<Browser> => puppeteer.launch({ browser: 'firefox', executablePath: path, headless: true });
