/**
 * Pages through an OpenAI-style list (`GET /files`, `GET /batches`: newest first, `after` cursor,
 * `has_more`) until it reaches objects older than `sinceSeconds`. Used only to reconcile records a
 * crash left pending, so it stops after a bounded number of pages rather than walk a huge account.
 */
import type { CallOptions } from '../../domain/ports/provider-adapter.js';
import { isRecord, stringAt } from '../shared/json.js';
import type { OpenAIStyleApi, QueryParams } from './api.js';

const PAGE_SIZE = 100;
const MAX_PAGES = 20;

export async function* listSince<T extends { readonly ref: string; readonly createdAt: number | null }>(
  api: OpenAIStyleApi,
  path: string,
  query: QueryParams,
  sinceSeconds: number,
  opts: CallOptions,
  map: (raw: unknown) => T,
): AsyncGenerator<T> {
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await api.http.json({
      method: 'GET',
      url: api.url(path, { ...query, limit: String(PAGE_SIZE), ...(after === null ? {} : { after }) }),
      headers: api.headers,
      signal: opts.signal,
    });
    const body = response.body;
    const data = isRecord(body) && Array.isArray(body['data']) ? body['data'] : [];
    let older = false;
    for (const raw of data) {
      const item = map(raw);
      if (item.createdAt !== null && item.createdAt < sinceSeconds) {
        older = true;
        continue;
      }
      yield item;
    }
    const last = data.length === 0 ? null : data[data.length - 1];
    // Azure's classic list has no has_more: one page is all there is.
    const hasMore = isRecord(body) && body['has_more'] === true;
    after = isRecord(last) ? stringAt(last, 'id') : null;
    if (older || !hasMore || after === null) return;
  }
}
