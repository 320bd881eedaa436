/**
 * Writes a page of JSON-text items as OpenAI's list envelope, the same bytes `JSON.stringify`
 * of a `ListEnvelope` would give, without parsing the items (`JsonListPage`).
 */
import type { FastifyReply } from 'fastify';
import { pageEnds, type JsonListPage } from '../domain/listing.js';

export function sendJsonList(reply: FastifyReply, page: JsonListPage): string {
  // Stringified as `JSON.stringify` of the envelope writes them, in the envelope's order.
  const ends = JSON.stringify(pageEnds(page.items, page.hasMore)).slice(1, -1);
  // Fastify sends a string as it is; the type says what it is.
  reply.type('application/json; charset=utf-8');
  return `{"object":"list","data":[${page.items.map((i) => i.json).join(',')}],${ends}}`;
}
