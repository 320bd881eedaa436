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

/**
 * A page of wire objects that are JSON text already, for the HTTP layer to write out as OpenAI's
 * list envelope: the batch listing serves each batch's stored object verbatim, since parsing 20
 * of them only to serialise them again was a quarter of a listing's cost (bench/RESULTS.md,
 * "Listings").
 */
export interface JsonListPage {
  readonly items: readonly { readonly id: string; readonly json: string }[];
  readonly hasMore: boolean;
}

/** The envelope's fields after its data: the page's first and last ids, and whether more follow. */
export const pageEnds = (
  data: readonly { readonly id: string }[],
  hasMore: boolean,
): Pick<ListEnvelope<unknown>, 'first_id' | 'last_id' | 'has_more'> => ({
  first_id: data[0]?.id ?? null,
  last_id: data.at(-1)?.id ?? null,
  has_more: hasMore,
});

export const listEnvelope = <T extends { readonly id: string }>(data: T[], hasMore: boolean): ListEnvelope<T> => ({
  object: 'list',
  data,
  ...pageEnds(data, hasMore),
});
