/**
 * The console in Firefox (issue 13 point 7: current Chromium and Firefox): the system Firefox ESR
 * through WebDriver BiDi signs in with a virtual key, sees only that key's batches, opens a batch
 * page with its timeline and output link, and renders each at desktop and phone width (checked
 * non-blank, written next to the Chromium screenshots as `*-firefox-*.png`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type OpenAI from 'openai';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, submit, waitFor } from '../integration/executor-support.js';
import { firefoxForTests, launchFirefox } from './firefox.js';
import { renderStats, SCREENSHOT_DIR, VIEWPORTS } from './screenshots.js';

const MASTER = 'sk-master-firefox';
const found = firefoxForTests();
if (!found.available) console.warn(`skipping the Firefox tests: ${found.reason}`);

const YAML = `model_list:
  - model_name: demo
    litellm_params: { model: openai/gpt-4o-mini, mock_response: "Hello from batchgate!" }
general_settings:
  master_key: ${MASTER}
  batch_poll_min_interval_seconds: 0.5
`;

const keyFor = async (gw: InProcessGateway, alias: string): Promise<string> => {
  const res = await fetch(`${gw.url}/key/generate`, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body: JSON.stringify({ key_alias: alias }) });
  return ((await res.json()) as { key: string }).key;
};

/** Text of the page, polled until it contains `text` (BiDi has no Playwright-style auto-wait). */
const waitForText = async (page: Page, text: string, timeoutMs = 15_000): Promise<void> => {
  // Code run in the page is a string: this file is typed for Node, not the DOM.
  await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(text)})`, { timeout: timeoutMs, polling: 100 });
};

const screenshots = async (page: Page, name: string): Promise<void> => {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewport(size);
    await new Promise((r) => setTimeout(r, 300));
    const png = Buffer.from(await page.screenshot({ type: 'png' }));
    const stats = renderStats(png);
    expect(stats.colours, `${name} at ${label} width looks blank in Firefox`).toBeGreaterThan(20);
    expect(stats.inked, `${name} at ${label} width looks blank in Firefox`).toBeGreaterThan(0.02);
    await writeFile(join(SCREENSHOT_DIR, `${name}-firefox-${label}.png`), png);
  }
};

describe.skipIf(!found.available)('the console in Firefox', () => {
  let gw: InProcessGateway;
  let browser: Browser;
  let page: Page;
  let key: string;
  let own: OpenAI.Batch;
  let other: OpenAI.Batch;

  beforeAll(async () => {
    gw = await startGateway({ yaml: YAML, worker: true });
    key = await keyFor(gw, 'dora');
    own = await submit(client(gw.url, key), chatLines(4, 'demo'), 'demo');
    other = await submit(client(gw.url, await keyFor(gw, 'erin')), chatLines(2, 'demo'), 'demo');
    await waitFor(client(gw.url, MASTER), own.id);
    await waitFor(client(gw.url, MASTER), other.id);
    browser = await launchFirefox((found as { path: string }).path);
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('signs in with a virtual key, lists only its batches, and opens one', async () => {
    await page.setViewport(VIEWPORTS.desktop);
    await page.goto(`${gw.url}/ui/`);
    await waitForText(page, 'Sign in to batchgate');
    await page.type('input[name="key"]', key);
    await page.keyboard.press('Enter');
    await waitForText(page, own.id);
    expect(await page.evaluate('document.body.innerText')).not.toContain(other.id);
    await waitForText(page, 'completed');
    await screenshots(page, 'batches');

    await page.goto(`${gw.url}/ui/#/batches/${own.id}`);
    await waitForText(page, 'Timeline');
    await waitForText(page, 'Download output');
    const text = (await page.evaluate('document.body.innerText')) as string;
    expect(text).toContain('Completed');
    expect(text).toContain(own.input_file_id);
    await screenshots(page, 'batch');
  }, 60_000);
});
