/**
 * Writes a page of JSON-text items as OpenAI's list envelope, the same bytes `JSON.stringify`
 * of a `ListEnvelope` would give, without parsing the items (`JsonListPage`).
 */
import type { FastifyReply } from 'fastify';
import type { JsonListPage } from '../domain/listing.js';

export function sendJsonList(reply: FastifyReply, page: JsonListPage): string {
  const { items } = page;
  const firstId = JSON.stringify(items[0]?.id ?? null);
  const lastId = JSON.stringify(items.at(-1)?.id ?? null);
  // Fastify sends a string as it is; the type says what it is.
  reply.type('application/json; charset=utf-8');
  return `{"object":"list","data":[${items.map((i) => i.json).join(',')}],"first_id":${firstId},"last_id":${lastId},"has_more":${page.hasMore}}`;
}
