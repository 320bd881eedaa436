/**
 * Cursor pagination shared by the file and batch listings: `after` names an object the caller
 * can see (anything else is a 400, never a hint that the id exists), and pages come back in
 * OpenAI's list envelope.
 */
import type { ListEnvelope } from '../contracts/openai.js';
import { GatewayError } from '../errors/gateway-error.js';
import { canSee, scopeOf, type Owner, type Principal } from './principal.js';
import type { ListCursor } from './ports/store.js';

export async function cursorAfter(
  principal: Principal,
  after: string | undefined,
  kind: 'file' | 'batch',
  get: (id: string) => Promise<{ readonly createdAtMs: number; readonly id: string; readonly owner: Owner } | undefined>,
): Promise<ListCursor | undefined> {
  if (after === undefined) return undefined;
  const cursor = await get(after);
  if (cursor === undefined || !canSee(scopeOf(principal), cursor.owner)) {
    throw new GatewayError('invalid_request', `after: no such ${kind} '${after}'.`, { param: 'after' });
  }
  return { createdAtMs: cursor.createdAtMs, id: cursor.id };
}

export const listEnvelope = <T extends { readonly id: string }>(data: T[], hasMore: boolean): ListEnvelope<T> => ({
  object: 'list',
  data,
  first_id: data[0]?.id ?? null,
  last_id: data.at(-1)?.id ?? null,
  has_more: hasMore,
});
