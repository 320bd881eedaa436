/** Helpers of the SDK tests: request lines, temporary state directories. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const requestLine = (customId: string, model = 'gpt-4o-mini', text = `say ${customId}`): Record<string, unknown> => ({
  custom_id: customId,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content: text }], max_tokens: 16 },
});

export const jsonl = (lines: readonly unknown[]): string => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** A fresh state directory, removed by the returned cleanup. */
export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'batchgate-sdk-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Fast polling for tests. */
export const FAST = { minIntervalMs: 5, maxIntervalMs: 20, timeoutMs: 20_000 } as const;
