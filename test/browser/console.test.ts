/**
 * The web console in a real browser (issue 13, "How it is shown"): the system Chromium driven by
 * playwright-core against an in-process gateway. A virtual key signs in and sees only its own
 * and its team's batches, watches a running batch's progress move without a reload, opens its
 * page, downloads its output, cancels another; the master key signs in and creates a key (shown
 * once). Every page is photographed at laptop and phone width (see screenshots.ts).
 *
 * The slow batches run on a gateway-executed deployment in front of the fake chat server with a
 * per-request latency and one request at a time, so a 60-line batch takes several seconds.
 */
import { readFile } from 'node:fs/promises';
import type OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, submit, waitFor } from '../integration/executor-support.js';
import { chromiumForTests, launchChromium } from './chromium.js';
import { adminCall, startConsoleWorld, type ConsoleWorld } from './console-fixture.js';
import { renderStats, screenshotBoth, VIEWPORTS } from './screenshots.js';

// Code run in the page is passed to `evaluate` as a string: this file is typed for Node, not the DOM.
const MASTER = 'sk-master-console';
const browserFound = chromiumForTests();
if (!browserFound.available) console.warn(`skipping the browser tests: ${browserFound.reason}`);


const admin = (gw: InProcessGateway, path: string, body: unknown): Promise<Record<string, unknown>> => adminCall(gw, MASTER, path, body);

describe('renderStats (the non-blank check)', () => {
  it('calls a one-colour image blank and a drawn one not', () => {
    const white = new PNG({ width: 50, height: 50 });
    white.data.fill(255);
    expect(renderStats(PNG.sync.write(white))).toEqual({ colours: 1, inked: 0 });
    for (let i = 0; i < 50 * 20 * 4; i += 4) white.data[i] = i % 255;
    const drawn = renderStats(PNG.sync.write(white));
    expect(drawn.colours).toBeGreaterThan(20);
    expect(drawn.inked).toBeGreaterThan(0.3);
  });
});

describe.skipIf(!browserFound.available)('the console in Chromium', () => {
  let world: ConsoleWorld | undefined;
  let gw: InProcessGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let keyA: string;
  let ownBatch: OpenAI.Batch;
  let teammateBatch: OpenAI.Batch;
  let otherBatch: OpenAI.Batch;
  let slow: OpenAI.Batch;

  const consoleErrors: string[] = [];

  beforeAll(async () => {
    world = await startConsoleWorld(MASTER, ['alice', 'bob', 'carol']);
    ({ gw, keyA, ownBatch, teammateBatch, otherBatch } = world);

    browser = await launchChromium((browserFound as { path: string }).path);
    context = await browser.newContext({ viewport: VIEWPORTS.desktop, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await world?.close();
  });

  const signInWith = async (key: string) => {
    await page.goto(`${gw.url}/ui`);
    await page.getByLabel('API key (master key or virtual key)').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Batches' }).waitFor();
  };
  const row = (id: string) => page.locator(`tr[data-batch-id="${id}"]`);

  it('redirects /ui to the sign-in page, reachable by keyboard from a skip link', async () => {
    await page.goto(`${gw.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await page.getByRole('heading', { name: 'Sign in to batchgate' }).waitFor();
    // The key field has the focus; going back from it reaches the brand link, then the skip link.
    await expect.poll(() => page.evaluate('document.activeElement?.name')).toBe('key');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('main');
    await screenshotBoth(page, 'signin', () => page.getByRole('button', { name: 'Sign in' }).waitFor());
  });

  it('refuses a wrong key, then a virtual key sees only its own and its team’s batches', async () => {
    await page.getByLabel('API key (master key or virtual key)').fill('sk-not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await signInWith(keyA);
    await row(ownBatch.id).waitFor();
    await row(teammateBatch.id).waitFor();
    expect(await row(otherBatch.id).count()).toBe(0);
    await expect.poll(() => row(ownBatch.id).locator('td').nth(2).textContent()).toBe('demo');
    // The key is in this tab's sessionStorage and nowhere else.
    expect(await page.evaluate("sessionStorage.getItem('batchgate.key')")).toBe(keyA);
    expect(await page.evaluate('localStorage.length + document.cookie.length')).toBe(0);
    expect(await page.getByRole('link', { name: 'Deployments' }).isVisible()).toBe(false);
  });

  it('shows a running batch’s progress moving, without reloading the page', async () => {
    await page.evaluate('window.__sameDocument = true');
    slow = await submit(client(gw.url, keyA), chatLines(60, 'slow'), 'slow');
    const bar = row(slow.id).getByRole('progressbar');
    await bar.waitFor({ timeout: 15_000 });
    const seen: number[] = [];
    let photographed = false;
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const now = Number(await bar.getAttribute('aria-valuenow'));
      if (seen.at(-1) !== now) seen.push(now);
      if (!photographed && now > 0 && now < 60) {
        photographed = true;
        await screenshotBoth(page, 'batches', () => bar.waitFor());
      }
      if (now === 60) break;
      await page.waitForTimeout(250);
    }
    const middle = seen.filter((v) => v > 0 && v < 60);
    expect(seen.at(-1)).toBe(60);
    expect(middle.length, `progress seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await expect.poll(() => row(slow.id).locator('.badge').textContent(), { timeout: 15_000 }).toBe('completed');
    await expect.poll(() => row(slow.id).locator('td').nth(2).textContent()).toBe('slow');
  });

  it('opens the batch page: timeline, counts, cost, and downloads the output', async () => {
    await row(slow.id).getByRole('link', { name: slow.id }).click();
    await page.getByRole('heading', { name: `Batch ${slow.id}` }).waitFor();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    for (const step of ['Created', 'In progress', 'Finalizing', 'Completed']) await timeline.getByText(step, { exact: true }).waitFor();
    const counts = page.getByRole('definition');
    await expect.poll(() => counts.allTextContents()).toContain('60');
    await expect.poll(() => page.locator('dl[aria-label="Requests and cost"]').textContent(), { timeout: 15_000 }).toMatch(/Cost\$\d/);
    await screenshotBoth(page, 'batch', () => page.getByRole('button', { name: 'Download output' }).waitFor());
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download output' }).click()]);
    expect(download.suggestedFilename()).toMatch(/output\.jsonl$/);
    const text = await readFile((await download.path())!, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number } });
    expect(lines).toHaveLength(60);
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(60);
    expect(lines.every((l) => l.response.status_code === 200)).toBe(true);
  });

  it('cancels a running batch after confirmation', async () => {
    const long = await submit(client(gw.url, keyA), chatLines(200, 'slow'), 'slow');
    await page.goto(`${gw.url}/ui/#/batches/${long.id}`);
    await page.getByRole('heading', { name: `Batch ${long.id}` }).waitFor();
    const cancel = page.getByRole('button', { name: 'Cancel batch' });
    await cancel.click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this batch?' });
    await dialog.waitFor();
    // The safe choice is focused: Escape or "Keep it" leaves the batch alone.
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await client(gw.url, keyA).batches.retrieve(long.id)).status).not.toMatch(/cancel/);
    await cancel.click();
    await dialog.getByRole('button', { name: 'Cancel batch' }).click();
    await expect.poll(() => page.locator('#batch-status').textContent(), { timeout: 20_000 }).toMatch(/^cancell(ing|ed)$/);
    const { batch } = await waitFor(client(gw.url, keyA), long.id);
    expect(batch.status).toBe('cancelled');
    expect(batch.request_counts?.completed ?? 0).toBeLessThan(200);
  });

  it('lists files, shows a file, and reports an invalid upload by line', async () => {
    await page.goto(`${gw.url}/ui/#/files`);
    await page.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    await page.getByRole('link', { name: slow.input_file_id }).waitFor();
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'bad.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(`${chatLines(1, 'slow')}{"custom_id":"x","method":"GET","url":"/v1/chat/completions","body":{}}\n`),
    });
    await page.getByLabel('Model group').selectOption('slow');
    await page.getByRole('button', { name: 'Upload' }).click();
    const problems = page.locator('ul.line-errors li');
    await problems.first().waitFor();
    expect(await problems.first().textContent()).toMatch(/^Line 2: /);
    await screenshotBoth(page, 'files', () => problems.first().waitFor());
    await page.getByRole('link', { name: slow.input_file_id }).click();
    await page.getByRole('heading', { name: `File ${slow.input_file_id}` }).waitFor();
    await screenshotBoth(page, 'file', () => page.getByRole('button', { name: 'Delete file' }).waitFor());
  });

  it('shows spend per day with totals and exports the table as CSV', async () => {
    await page.goto(`${gw.url}/ui/#/spend`);
    await page.getByRole('heading', { name: 'Spend' }).waitFor();
    await page.getByRole('img', { name: /Spend per day by team/ }).waitFor();
    await page.getByRole('link', { name: slow.id }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^batch,day,team,key,model group/);
    expect(csv).toContain(slow.id);
    expect(csv).not.toContain(otherBatch.id);
    await screenshotBoth(page, 'spend', () => page.getByRole('img', { name: /Spend per day/ }).waitFor());
  });

  it('signs in as master, sees every batch, and creates a key shown once', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to batchgate' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await signInWith(MASTER);
    await row(otherBatch.id).waitFor();
    await row(ownBatch.id).waitFor();
    await page.getByRole('link', { name: 'Keys & teams' }).click();
    await page.getByRole('heading', { name: 'Keys and teams' }).waitFor();
    await page.getByText('alice', { exact: true }).waitFor();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create a key' }) });
    await form.getByLabel('Alias').fill('made-in-console');
    await form.getByLabel('Team').selectOption('research');
    await form.getByLabel('Max budget (USD)').fill('5');
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('#new-key');
    await shown.waitFor();
    const newKey = (await shown.textContent()) ?? '';
    expect(newKey).toMatch(/^sk-/);
    const models = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${newKey}` } });
    expect(models.status).toBe(200);
    await page.getByText('made-in-console', { exact: true }).waitFor();
    await screenshotBoth(page, 'keys', () => shown.scrollIntoViewIfNeeded());
    // Shown once: coming back to the page does not show it again.
    await page.getByRole('link', { name: 'Batches' }).click();
    await page.getByRole('link', { name: 'Keys & teams' }).click();
    await page.getByText('made-in-console', { exact: true }).waitFor();
    expect(await page.locator('#new-key').count()).toBe(0);
    expect(await page.content()).not.toContain(newKey);
  });

  it('edits a key’s budget and shows the deployments', async () => {
    await page.getByRole('button', { name: 'Edit made-in-console' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Max budget (USD)').fill('7.5');
    await dialog.getByLabel('demo').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('$7.5000').waitFor();
    const keys = (await (await fetch(`${gw.url}/key/list?return_full_object=true`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as {
      keys: Array<{ key_alias: string | null; max_budget: number | null; models: string[] }>;
    };
    expect(keys.keys.find((k) => k.key_alias === 'made-in-console')).toMatchObject({ max_budget: 7.5, models: ['demo'] });

    await page.getByRole('link', { name: 'Deployments' }).click();
    await page.getByRole('heading', { name: 'Deployments' }).waitFor();
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.allTextContents()).toEqual([expect.stringContaining('demo'), expect.stringContaining('slow')]);
    await screenshotBoth(page, 'deployments', () => rows.first().waitFor());
    expect(consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  });

  it('retries exactly the failed lines of a finished batch as a new batch', async () => {
    // Lines 1 and 3 were refused by the upstream: they are in the error file.
    const failing = await world!.batchWithFailedLines();
    await page.goto(`${gw.url}/ui/#/batches/${failing.id}`);
    await page.getByRole('heading', { name: `Batch ${failing.id}` }).waitFor();
    await page.getByRole('button', { name: 'Retry failed lines' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/batches/') && !url.hash.endsWith(failing.id));
    const retriedId = decodeURIComponent(new URL(page.url()).hash.replace('#/batches/', ''));
    await page.getByRole('heading', { name: `Batch ${retriedId}` }).waitFor();
    const retried = await client(gw.url, MASTER).batches.retrieve(retriedId);
    expect(retried.metadata).toMatchObject({ retry_of: failing.id, batchgate_model_group: 'slow' });
    const input = await (await client(gw.url, MASTER).files.content(retried.input_file_id)).text();
    expect(input.trim().split('\n').map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort()).toEqual(['req-1', 'req-3']);
  });
});
