/**
 * The console in Firefox (issue 13 point 7: current Chromium and Firefox): the system Firefox ESR
 * driven through WebDriver BiDi by puppeteer-core, against an in-process gateway, through the same
 * user flows as console.test.ts drives in Chromium:
 *
 * - /ui redirects to the sign-in page, whose skip link is reachable by keyboard;
 * - a wrong key is refused, then a virtual key sees only its own and its team's batches (the key
 *   kept in sessionStorage only);
 * - a running batch's progress bar moves without a reload (every value the page draws is recorded
 *   in the page, so no refresh is missed between two polls);
 * - the batch page shows its timeline, counts and cost, and "Download output" saves the output
 *   file through Firefox's own download (every line checked);
 * - cancelling a running batch asks first in a modal dialog: Escape and "Keep it" leave it alone,
 *   "Cancel batch" cancels it;
 * - the files page lists and shows files and reports an invalid upload by line;
 * - the spend page draws spend per day and exports the table as a CSV download;
 * - the master key sees every batch, creates a key shown once, edits its budget and models, and
 *   lists the deployments;
 * - the failed lines of a finished batch are retried as a new batch.
 *
 * Every page is rendered at desktop and phone width, checked non-blank and written next to the
 * Chromium screenshots as `*-firefox-*.png`. BiDi has no Playwright-style auto-wait: the page is
 * polled with `waitForFunction` until it shows what a step needs.
 *
 * The slow batches run on a gateway-executed deployment in front of the fake chat server with a
 * per-request latency and one request at a time, so a 60-line batch takes several seconds.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import type { Browser, BrowserContext, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, submit, waitFor } from '../integration/executor-support.js';
import { firefoxForTests, launchFirefox } from './firefox.js';
import { adminCall, startConsoleWorld, type ConsoleWorld } from './console-fixture.js';
import { renderStats, SCREENSHOT_DIR, VIEWPORTS } from './screenshots.js';

// Code run in the page is a string: this file is typed for Node, not the DOM.
const MASTER = 'sk-master-firefox';
const found = firefoxForTests();
if (!found.available) console.warn(`skipping the Firefox tests: ${found.reason}`);


const admin = (gw: InProcessGateway, path: string, body: unknown): Promise<Record<string, unknown>> => adminCall(gw, MASTER, path, body);

const js = (value: unknown): string => JSON.stringify(value);

/** Polls the page until the expression is truthy; returns its value's handle. */
const until = (page: Page, expression: string, timeoutMs = 15_000) => page.waitForFunction(expression, { timeout: timeoutMs, polling: 100 });

/** Text of the page, polled until it contains `text`. */
const waitForText = async (page: Page, text: string, timeoutMs = 15_000): Promise<void> => {
  await until(page, `document.body.innerText.includes(${js(text)})`, timeoutMs);
};

/** The first rendered element matching `selector` (and whose trimmed text is `text`, if given). */
const element = async (page: Page, selector: string, text?: string, timeoutMs = 15_000): Promise<ElementHandle> => {
  const handle = await until(
    page,
    `[...document.querySelectorAll(${js(selector)})].find((e) => e.getClientRects().length > 0 && (${js(text ?? null)} === null || e.textContent.trim() === ${js(text ?? null)}))`,
    timeoutMs,
  );
  const el = handle.asElement();
  if (el === null) throw new Error(`no element ${selector}`);
  return el as ElementHandle;
};

/** Waits for an element that need not be rendered (an `<option>` of a closed `<select>` has no box). */
const present = async (page: Page, selector: string): Promise<void> => {
  await until(page, `document.querySelector(${js(selector)}) !== null`);
};

/** A property of the element, read in the page (`value`, `textContent`, `checked`…). */
const prop = (el: ElementHandle, name: string): Promise<unknown> => el.evaluate((e, n) => (e as unknown as Record<string, unknown>)[n], name);

const click = async (page: Page, selector: string, text?: string): Promise<void> => {
  await (await element(page, selector, text)).click();
};

/** Replaces a field's value the way a user does: select what is there, then type over it. */
const fill = async (page: Page, selector: string, value: string): Promise<void> => {
  const el = await element(page, selector);
  await el.click();
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await el.type(value);
  expect(await prop(el, 'value')).toBe(value);
};

const textOf = async (page: Page, selector: string): Promise<string | null> => (await page.evaluate(`document.querySelector(${js(selector)})?.textContent ?? null`)) as string | null;

/**
 * `<name>-firefox-desktop.png` and `-phone.png`, each checked non-blank; `ready` runs at each width
 * (from the top of the page, unless it scrolls to what the picture is about). Back at desktop width after.
 */
const screenshots = async (page: Page, name: string, ready?: () => Promise<void>): Promise<void> => {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewport(size);
    await page.evaluate('window.scrollTo(0, 0)');
    await until(page, `window.innerWidth === ${size.width}`);
    await ready?.();
    // Two frames: the layout of the new width is painted before the picture is taken.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const png = Buffer.from(await page.screenshot({ type: 'png' }));
    const stats = renderStats(png);
    expect(stats.colours, `${name} at ${label} width looks blank in Firefox`).toBeGreaterThan(20);
    expect(stats.inked, `${name} at ${label} width looks blank in Firefox`).toBeGreaterThan(0.02);
    await writeFile(join(SCREENSHOT_DIR, `${name}-firefox-${label}.png`), png);
  }
  await page.setViewport(VIEWPORTS.desktop);
};

describe.skipIf(!found.available)('the console in Firefox', () => {
  let world: ConsoleWorld | undefined;
  let gw: InProcessGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let downloads: string;
  let scratch: string;
  let keyA: string;
  let ownBatch: OpenAI.Batch;
  let teammateBatch: OpenAI.Batch;
  let otherBatch: OpenAI.Batch;
  let slow: OpenAI.Batch;

  const consoleErrors: string[] = [];

  /** The content of the one finished download whose name matches, once Firefox has written it. */
  const downloaded = async (name: RegExp): Promise<{ file: string; text: string }> =>
    vi.waitFor(
      async () => {
        const names = await readdir(downloads);
        const file = names.find((n) => name.test(n));
        // Firefox writes into `<name>.part` and renames it when done.
        if (file === undefined || names.some((n) => n.endsWith('.part'))) throw new Error(`no finished download ${name} in [${names.join(', ')}]`);
        const text = await readFile(join(downloads, file), 'utf8');
        if (text === '') throw new Error(`${file} is still empty`);
        return { file, text };
      },
      { timeout: 20_000, interval: 100 },
    );

  beforeAll(async () => {
    world = await startConsoleWorld(MASTER, ['dora', 'finn', 'erin']);
    ({ gw, keyA, ownBatch, teammateBatch, otherBatch } = world);

    downloads = await mkdtemp(join(tmpdir(), 'batchgate-firefox-downloads-'));
    scratch = await mkdtemp(join(tmpdir(), 'batchgate-firefox-uploads-'));
    browser = await launchFirefox((found as { path: string }).path);
    context = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloads } });
    page = await context.newPage();
    await page.setViewport(VIEWPORTS.desktop);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await world?.close();
    for (const dir of [downloads, scratch]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const signInWith = async (key: string): Promise<void> => {
    await page.goto(`${gw.url}/ui`);
    await fill(page, 'input[name="key"]', key);
    await page.keyboard.press('Enter');
    await element(page, 'main h1', 'Batches');
  };
  const row = (id: string): string => `tr[data-batch-id="${id}"]`;
  const hasRow = async (id: string): Promise<boolean> => (await page.evaluate(`document.querySelector(${js(row(id))}) !== null`)) as boolean;
  const groupCellIs = async (id: string, group: string): Promise<void> => {
    await until(page, `document.querySelector(${js(`${row(id)} td:nth-child(3)`)})?.textContent === ${js(group)}`);
  };

  it('redirects /ui to the sign-in page, reachable by keyboard from a skip link', async () => {
    await page.goto(`${gw.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await element(page, 'main h1', 'Sign in to batchgate');
    // The key field has the focus; going back from it reaches the brand link, then the skip link.
    await until(page, `document.activeElement?.name === 'key'`);
    await page.keyboard.down('Shift');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.up('Shift');
    await until(page, `document.activeElement?.textContent === 'Skip to content'`);
    await page.keyboard.press('Enter');
    await until(page, `document.activeElement?.id === 'main'`);
    await screenshots(page, 'signin', async () => void (await element(page, 'button[type="submit"]', 'Sign in')));
  });

  it('refuses a wrong key, then a virtual key sees only its own and its team’s batches', async () => {
    await fill(page, 'input[name="key"]', 'sk-not-a-key');
    await page.keyboard.press('Enter');
    expect(await prop(await element(page, '[role="alert"]'), 'textContent')).toContain('not valid');
    await signInWith(keyA);
    await element(page, row(ownBatch.id));
    await element(page, row(teammateBatch.id));
    expect(await hasRow(otherBatch.id)).toBe(false);
    await groupCellIs(ownBatch.id, 'demo');
    // The key is in this tab's sessionStorage and nowhere else.
    expect(await page.evaluate("sessionStorage.getItem('batchgate.key')")).toBe(keyA);
    expect(await page.evaluate('localStorage.length + document.cookie.length')).toBe(0);
    expect(await page.evaluate(`document.querySelector('a[data-section="deployments"]').checkVisibility()`)).toBe(false);
  });

  it('shows a running batch’s progress moving, without reloading the page', async () => {
    // Every value the page gives each bar (from the row's first drawing on), recorded by the page
    // itself as it draws it, so no refresh is missed between two polls from here.
    await page.evaluate(`(() => {
      window.__sameDocument = true;
      window.__progress = {};
      const main = document.querySelector('main');
      const record = () => {
        for (const bar of main.querySelectorAll('tr[data-batch-id] [role="progressbar"]')) {
          const seen = (window.__progress[bar.closest('tr').dataset.batchId] ??= []);
          const now = Number(bar.getAttribute('aria-valuenow'));
          if (seen.at(-1) !== now) seen.push(now);
        }
      };
      new MutationObserver(record).observe(main, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    })()`);
    slow = await submit(client(gw.url, keyA), chatLines(60, 'slow'), 'slow');
    const seen = `(window.__progress[${js(slow.id)}] ?? [])`;
    await element(page, `${row(slow.id)} [role="progressbar"]`);
    // Part done: photographed while it runs.
    await until(page, `${seen}.some((v) => v > 0 && v < 60)`, 40_000);
    await screenshots(page, 'batches', async () => void (await element(page, `${row(slow.id)} [role="progressbar"]`)));
    await until(page, `${seen}.includes(60)`, 40_000);
    const values = (await page.evaluate(seen)) as number[];
    expect(values.filter((v) => v > 0 && v < 60).length, `progress seen: ${values.join(', ')}`).toBeGreaterThanOrEqual(1);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(values.at(-1)).toBe(60);
    expect(await textOf(page, `${row(slow.id)} [role="progressbar"] + .label`)).toBe('60 / 60');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await until(page, `document.querySelector(${js(`${row(slow.id)} .badge`)})?.textContent === 'completed'`, 15_000);
    await groupCellIs(slow.id, 'slow');
  }, 90_000);

  it('opens the batch page: timeline, counts, cost, and downloads the output', async () => {
    await click(page, `${row(slow.id)} a`, slow.id);
    await until(page, `document.querySelector('main h1')?.textContent === ${js(`Batch ${slow.id}`)}`);
    await until(page, `['Created', 'In progress', 'Finalizing', 'Completed'].every((s) => [...document.querySelectorAll('ol[aria-label="Timeline"] li strong')].some((e) => e.textContent === s))`);
    await until(page, `[...document.querySelectorAll('dl[aria-label="Requests and cost"] dd')].some((d) => d.textContent === '60')`);
    await until(page, `/Cost\\$\\d/.test(document.querySelector('dl[aria-label="Requests and cost"]')?.textContent ?? '')`, 15_000);
    expect(await page.evaluate('document.body.innerText')).toContain(slow.input_file_id);
    await screenshots(page, 'batch', async () => void (await element(page, 'button', 'Download output')));
    await click(page, 'button', 'Download output');
    const { file, text } = await downloaded(/output\.jsonl$/);
    expect(file).toMatch(/output\.jsonl$/);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: { choices: Array<{ message: { content: string } }> } } });
    expect(lines).toHaveLength(60);
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(60);
    expect(lines.every((l) => l.response.status_code === 200)).toBe(true);
    // The same bytes the API gives for the output file.
    const batch = await client(gw.url, keyA).batches.retrieve(slow.id);
    expect(text).toBe(await (await client(gw.url, keyA).files.content(batch.output_file_id!)).text());
  });

  it('cancels a running batch after confirmation', async () => {
    const long = await submit(client(gw.url, keyA), chatLines(200, 'slow'), 'slow');
    await page.goto(`${gw.url}/ui/#/batches/${long.id}`);
    await until(page, `document.querySelector('main h1')?.textContent === ${js(`Batch ${long.id}`)}`);
    const dialogOpen = `document.querySelector('dialog[open]')?.matches(':modal') && document.querySelector('dialog[open] h2')?.textContent === 'Cancel this batch?'`;
    const dialogGone = `document.querySelector('dialog') === null`;
    // The safe choice is focused: Escape or "Keep it" leaves the batch alone.
    await click(page, 'button[data-key="cancel"]', 'Cancel batch');
    await until(page, dialogOpen);
    await until(page, `document.activeElement?.textContent === 'Keep it'`);
    await screenshots(page, 'cancel', async () => void (await element(page, 'dialog[open] button', 'Keep it')));
    await page.keyboard.press('Escape');
    await until(page, dialogGone);
    await click(page, 'button[data-key="cancel"]', 'Cancel batch');
    await until(page, dialogOpen);
    await click(page, 'dialog[open] button', 'Keep it');
    await until(page, dialogGone);
    expect((await client(gw.url, keyA).batches.retrieve(long.id)).status).not.toMatch(/cancel/);
    await click(page, 'button[data-key="cancel"]', 'Cancel batch');
    await until(page, dialogOpen);
    await click(page, 'dialog[open] button', 'Cancel batch');
    await until(page, dialogGone);
    await until(page, `/^cancell(ing|ed)$/.test(document.querySelector('#batch-status')?.textContent ?? '')`, 20_000);
    const { batch } = await waitFor(client(gw.url, keyA), long.id);
    expect(batch.status).toBe('cancelled');
    expect(batch.request_counts?.completed ?? 0).toBeLessThan(200);
    await until(page, `document.querySelector('#batch-status')?.textContent === 'cancelled'`, 15_000);
  });

  it('lists files, shows a file, and reports an invalid upload by line', async () => {
    await page.goto(`${gw.url}/ui/#/files`);
    await element(page, 'main h1', 'Files');
    await element(page, 'main table a', slow.input_file_id);
    // Firefox reads the chosen file when the form is sent, so it stays on disk until the end.
    const bad = join(scratch, 'bad.jsonl');
    await writeFile(bad, `${chatLines(1, 'slow')}{"custom_id":"x","method":"GET","url":"/v1/chat/completions","body":{}}\n`);
    const input = (await page.waitForSelector('input[type="file"][name="file"]'))!;
    await input.uploadFile(bad);
    expect(await input.evaluate((e) => (e as unknown as { files: Array<{ name: string }> }).files[0]?.name)).toBe('bad.jsonl');
    await present(page, 'select[name="target_model_names"] option[value="slow"]');
    await page.select('select[name="target_model_names"]', 'slow');
    await click(page, 'form[aria-labelledby="h-upload"] button[type="submit"]', 'Upload');
    const result = 'form[aria-labelledby="h-upload"] [aria-live]';
    await until(page, `!['', 'Uploading…'].includes(document.querySelector(${js(result)})?.textContent ?? '')`);
    expect(await textOf(page, result)).toMatch(/^The file has problems:Line 2: /);
    const first = await element(page, 'ul.line-errors li');
    expect(await prop(first, 'textContent')).toMatch(/^Line 2: /);
    await screenshots(page, 'files', async () => void (await element(page, 'ul.line-errors li')));
    await click(page, 'main table a', slow.input_file_id);
    await until(page, `document.querySelector('main h1')?.textContent === ${js(`File ${slow.input_file_id}`)}`);
    expect(await page.evaluate('document.querySelector("main dl").textContent')).toContain('requests.jsonl');
    await screenshots(page, 'file', async () => void (await element(page, 'button', 'Delete file')));
  });

  it('shows spend per day with totals and exports the table as CSV', async () => {
    await page.goto(`${gw.url}/ui/#/spend`);
    await element(page, 'main h1', 'Spend');
    await element(page, 'svg[role="img"][aria-label^="Spend per day by team"]');
    await element(page, 'main table a', slow.id);
    await click(page, 'button', 'Export CSV');
    const { file, text: csv } = await downloaded(/\.csv$/);
    expect(file).toMatch(/^batchgate-spend-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv$/);
    expect(csv.split('\r\n')[0]).toMatch(/^batch,day,team,key,model group/);
    expect(csv).toContain(slow.id);
    expect(csv).not.toContain(otherBatch.id);
    await screenshots(page, 'spend', async () => void (await element(page, 'svg[role="img"][aria-label^="Spend per day"]')));
  });

  it('signs in as master, sees every batch, and creates a key shown once', async () => {
    await click(page, '#sign-out', 'Sign out');
    await element(page, 'main h1', 'Sign in to batchgate');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await signInWith(MASTER);
    await element(page, row(otherBatch.id));
    await element(page, row(ownBatch.id));
    await click(page, 'nav a', 'Keys & teams');
    await element(page, 'main h1', 'Keys and teams');
    await element(page, 'main table td div', 'dora');
    const form = 'form[aria-labelledby="h-new-key"]';
    await fill(page, `${form} input[name="key_alias"]`, 'made-in-console');
    await present(page, `${form} select[name="team_id"] option[value="research"]`);
    await page.select(`${form} select[name="team_id"]`, 'research');
    await fill(page, `${form} input[name="max_budget"]`, '5');
    await click(page, `${form} button[type="submit"]`, 'Create key');
    const newKey = (await prop(await element(page, '#new-key'), 'textContent')) as string;
    expect(newKey).toMatch(/^sk-/);
    const models = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${newKey}` } });
    expect(models.status).toBe(200);
    await element(page, 'main table td div', 'made-in-console');
    await screenshots(page, 'keys', async () => {
      await page.evaluate(`document.querySelector('#new-key').scrollIntoView({ block: 'center' })`);
    });
    // Shown once: coming back to the page does not show it again.
    await click(page, 'nav a', 'Batches');
    await element(page, 'main h1', 'Batches');
    await click(page, 'nav a', 'Keys & teams');
    await element(page, 'main table td div', 'made-in-console');
    expect(await page.evaluate(`document.querySelector('#new-key')`)).toBeNull();
    expect(await page.content()).not.toContain(newKey);
  });

  it('edits a key’s budget and shows the deployments', async () => {
    await click(page, 'button[aria-label="Edit made-in-console"]', 'Edit');
    await until(page, `document.querySelector('dialog[open] h2')?.textContent === 'Edit key made-in-console'`);
    await fill(page, 'dialog[open] input[name="max_budget"]', '7.5');
    await click(page, 'dialog[open] label', 'demo');
    expect(await page.evaluate(`document.querySelector('dialog[open] input[value="demo"]').checked`)).toBe(true);
    await click(page, 'dialog[open] button[type="submit"]', 'Save');
    await until(page, `document.querySelector('dialog') === null`);
    await waitForText(page, '$7.5000');
    const keys = (await (await fetch(`${gw.url}/key/list?return_full_object=true`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as {
      keys: Array<{ key_alias: string | null; max_budget: number | null; models: string[] }>;
    };
    expect(keys.keys.find((k) => k.key_alias === 'made-in-console')).toMatchObject({ max_budget: 7.5, models: ['demo'] });

    await click(page, 'nav a', 'Deployments');
    await element(page, 'main h1', 'Deployments');
    await until(page, `document.querySelectorAll('main tbody tr').length === 2`);
    const rows = (await page.evaluate(`[...document.querySelectorAll('main tbody tr')].map((r) => r.textContent)`)) as string[];
    expect(rows).toEqual([expect.stringContaining('demo'), expect.stringContaining('slow')]);
    await screenshots(page, 'deployments', async () => void (await element(page, 'main tbody tr')));
    expect(consoleErrors.filter((e) => !/status of 4\d\d|\b4\d\d\b/.test(e))).toEqual([]);
  });

  it('retries exactly the failed lines of a finished batch as a new batch', async () => {
    // Lines 1 and 3 were refused by the upstream: they are in the error file.
    const failing = await world!.batchWithFailedLines();
    await page.goto(`${gw.url}/ui/#/batches/${failing.id}`);
    await until(page, `document.querySelector('main h1')?.textContent === ${js(`Batch ${failing.id}`)}`);
    await click(page, 'button[data-key="retry"]', 'Retry failed lines');
    await until(page, `location.hash.startsWith('#/batches/') && !location.hash.endsWith(${js(failing.id)})`);
    const retriedId = decodeURIComponent(new URL(page.url()).hash.replace('#/batches/', ''));
    await until(page, `document.querySelector('main h1')?.textContent === ${js(`Batch ${retriedId}`)}`);
    const retried = await client(gw.url, MASTER).batches.retrieve(retriedId);
    expect(retried.metadata).toMatchObject({ retry_of: failing.id, batchgate_model_group: 'slow' });
    const input = await (await client(gw.url, MASTER).files.content(retried.input_file_id)).text();
    expect(input.trim().split('\n').map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort()).toEqual(['req-1', 'req-3']);
  });
});
