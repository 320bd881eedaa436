/**
 * Request bodies and queries of the key and team management routes, in LiteLLM's field names.
 * Unknown fields are tolerated (LiteLLM clients send many), except limits batchgate does not
 * enforce: silently dropping a limit an admin set would be worse than refusing it.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.js';
import type { KeySettings } from '../../domain/keys/key-settings.js';
import type { TeamSettings } from '../../domain/keys/team-service.js';

const name = z.string().trim().min(1, { error: 'must be a non-empty string' });
const money = z.number({ error: 'must be a number' }).finite().nonnegative({ error: 'must be at least 0' });
const count = z
  .number({ error: 'must be an integer' })
  .int({ error: 'must be an integer' })
  .nonnegative({ error: 'must be at least 0' });
const models = z.array(name, { error: 'must be a list of model group names' });
const metadata = z.record(z.string(), z.unknown(), { error: 'must be an object' });
/** Checked for its format by the domain, which names the field in its error. */
const duration = z.string({ error: 'must be a duration such as 30s, 1h, 1d or 1mo' });

const keySettingsShape = {
  models: models.nullish(),
  team_id: name.nullish(),
  user_id: name.nullish(),
  key_alias: name.nullish(),
  max_budget: money.nullish(),
  budget_duration: duration.nullish(),
  duration: duration.nullish(),
  expires: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).nullish(),
  metadata: metadata.nullish(),
  rpm_limit: count.nullish(),
  tpm_limit: count.nullish(),
  webhook_url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).nullish(),
  webhook_secret: z.string({ error: 'must be a string' }).min(1, { error: 'must be a non-empty string' }).nullish(),
};

export const generateKeySchema = z.looseObject(keySettingsShape);
export const updateKeySchema = z.looseObject({ key: name, ...keySettingsShape });

export const deleteKeysSchema = z.looseObject({
  keys: z.array(name, { error: 'must be a list of keys' }).nullish(),
  key_aliases: z.array(name, { error: 'must be a list of key aliases' }).nullish(),
});

const queryInt = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export const listKeysQuerySchema = z.looseObject({
  page: queryInt(1, 1_000_000).default(1),
  size: queryInt(1, 100).default(10),
  team_id: name.optional(),
  user_id: name.optional(),
  key_alias: name.optional(),
  return_full_object: z.enum(['true', 'false'], { error: "must be 'true' or 'false'" }).default('false'),
});

export const newTeamSchema = z.looseObject({
  team_id: name.nullish(),
  team_alias: name.nullish(),
  models: models.nullish(),
  max_budget: money.nullish(),
  budget_duration: duration.nullish(),
  metadata: metadata.nullish(),
});

/** Set only when it says something: LiteLLM's UI sends empty maps and nulls for unused fields. */
const meaningful = (v: unknown): boolean =>
  v !== undefined &&
  v !== null &&
  v !== false &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

export function refuseUnsupported(body: unknown, fields: readonly string[], where: string): void {
  if (typeof body !== 'object' || body === null) return;
  const record = body as Record<string, unknown>;
  const field = fields.find((f) => meaningful(record[f]));
  if (field === undefined) return;
  throw new GatewayError('invalid_request', `'${field}' is not supported on ${where} by batchgate, so it would not be enforced.`, {
    param: field,
  });
}

/** Key limits LiteLLM has and batchgate does not enforce. */
export const UNSUPPORTED_KEY_FIELDS = [
  'max_parallel_requests',
  'model_max_budget',
  'model_rpm_limit',
  'model_tpm_limit',
  'allowed_routes',
  'blocked',
] as const;

/** Team limits LiteLLM has and batchgate does not enforce (rate limits are per key). */
export const UNSUPPORTED_TEAM_FIELDS = ['rpm_limit', 'tpm_limit', 'max_parallel_requests', 'model_max_budget', 'blocked'] as const;

type KeySettingsBody = z.output<typeof generateKeySchema>;

export const keySettingsOf = (body: KeySettingsBody): KeySettings => ({
  // null models mean "no list of its own", as an empty list does.
  models: body.models === null ? [] : body.models,
  teamId: body.team_id,
  userId: body.user_id,
  keyAlias: body.key_alias,
  maxBudget: body.max_budget,
  budgetDuration: body.budget_duration,
  duration: body.duration,
  expiresAtMs: body.expires === undefined || body.expires === null ? body.expires : Date.parse(body.expires),
  metadata: body.metadata === null ? {} : body.metadata,
  rpmLimit: body.rpm_limit,
  tpmLimit: body.tpm_limit,
  webhookUrl: body.webhook_url,
  webhookSecret: body.webhook_secret,
});

export const teamSettingsOf = (body: z.output<typeof newTeamSchema>): TeamSettings => ({
  teamId: body.team_id,
  teamAlias: body.team_alias,
  models: body.models ?? undefined,
  maxBudget: body.max_budget,
  budgetDuration: body.budget_duration,
  metadata: body.metadata ?? undefined,
});
