import type { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Parses a request part with its schema; the first problem becomes a 400 naming the field, with
 * OpenAI's wording for a missing required parameter.
 */
export const parseRequest = <S extends z.ZodType>(schema: S, value: unknown): z.output<S> => {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue === undefined ? null : issue.path.map(String).join('.') || null;
  const top = issue?.path[0];
  const given = typeof value === 'object' && value !== null && top !== undefined ? (value as Record<PropertyKey, unknown>)[top as PropertyKey] : undefined;
  if (issue !== undefined && issue.path.length === 1 && given === undefined) {
    throw new GatewayError('missing_required_parameter', `Missing required parameter: '${param ?? ''}'.`, { param });
  }
  throw new GatewayError('invalid_request', `Invalid '${param ?? 'request'}': ${issue?.message ?? 'invalid value'}.`, { param });
};
