/**
 * Per-request facts the routes read: who is calling, and the provider hint a new object may use.
 * Provider hint order, as LiteLLM: the `/{provider}/v1/…` path prefix, then the
 * `custom-llm-provider` header, then the `custom_llm_provider` query parameter.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../domain/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

const firstString = (value: unknown): string | null => {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
};

export const providerHint = (request: FastifyRequest): string | null => {
  const params = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  return (
    firstString(params?.provider) ??
    firstString(request.headers['custom-llm-provider']) ??
    firstString(query?.custom_llm_provider)
  );
};

/** The key a client presented: Bearer token, or the `api-key` header Azure clients send. */
export const presentedKey = (request: FastifyRequest): string | null => {
  const auth = firstString(request.headers.authorization);
  if (auth !== null) return auth.replace(/^Bearer\s+/i, '').trim();
  return firstString(request.headers['api-key']) ?? firstString(request.headers['x-litellm-api-key']);
};

export const queryString = (request: FastifyRequest, name: string): string | null =>
  firstString((request.query as Record<string, unknown> | undefined)?.[name]);
