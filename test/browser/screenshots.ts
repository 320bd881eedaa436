/**
 * Screenshots of the console at laptop and phone width, written where the browser test names
 * (`test-output/screenshots/`, git-ignored), each checked for a real render: a blank or
 * half-loaded page is one colour, or nearly so, which a drawn page never is.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { REPO_ROOT } from '../helpers/gateway.js';

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

export interface RenderStats {
  readonly colours: number;
  /** Share of pixels that differ from the most common colour (the background). */
  readonly inked: number;
}

export function renderStats(png: Buffer): RenderStats {
  const image = PNG.sync.read(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < image.data.length; i += 4) {
    const rgb = (image.data[i]! << 16) | (image.data[i + 1]! << 8) | image.data[i + 2]!;
    counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  const pixels = image.width * image.height;
  const background = Math.max(...counts.values());
  return { colours: counts.size, inked: (pixels - background) / pixels };
}

/** Takes `<name>-desktop.png` and `<name>-phone.png`, each checked non-blank; returns their paths. */
export async function screenshotBoth(page: Page, name: string, ready: () => Promise<void>): Promise<string[]> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  const paths: string[] = [];
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    // From the top of the page, unless `ready` scrolls to what the picture is about.
    await page.evaluate('window.scrollTo(0, 0)');
    await ready();
    const png = await page.screenshot({ fullPage: false });
    const stats = renderStats(png);
    // Text, a header bar, borders and badges: many colours (anti-aliasing) and a fair share of ink.
    expect(stats.colours, `${name} at ${label} width looks blank`).toBeGreaterThan(20);
    expect(stats.inked, `${name} at ${label} width looks blank`).toBeGreaterThan(0.02);
    const path = join(SCREENSHOT_DIR, `${name}-${label}.png`);
    await writeFile(path, png);
    paths.push(path);
  }
  if (original !== null) await page.setViewportSize(original);
  return paths;
}
