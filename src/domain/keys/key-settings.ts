/**
 * What `/key/generate` and `/key/update` may set, and the checks both share. `undefined` means
 * "not given" (left as it is on update); `null` clears a field, as in LiteLLM.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { Store, TeamRecord } from '../ports/store.js';
import { addDuration } from './duration.js';

export interface KeySettings {
  readonly models?: readonly string[] | undefined;
  readonly teamId?: string | null | undefined;
  readonly userId?: string | null | undefined;
  readonly keyAlias?: string | null | undefined;
  readonly maxBudget?: number | null | undefined;
  readonly budgetDuration?: string | null | undefined;
  /** Expiry as a duration from now (`30d`); null = never expires. */
  readonly duration?: string | null | undefined;
  /** Expiry as a point in time (ms); null = never expires. */
  readonly expiresAtMs?: number | null | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly rpmLimit?: number | null | undefined;
  readonly tpmLimit?: number | null | undefined;
  /** Where the key's own batch events are POSTed (`domain/events/key-webhook.ts`); null removes it. */
  readonly webhookUrl?: string | null | undefined;
  readonly webhookSecret?: string | null | undefined;
}

/** LiteLLM's special model-list values: not model groups, never checked against a team's list. */
const SPECIAL_MODELS = new Set(['all-team-models', 'all-proxy-models']);

/** The team a key names, which must exist: a key is never attached to a team that is not there. */
export async function teamNamed(store: Store, teamId: string | null): Promise<TeamRecord | undefined> {
  if (teamId === null) return undefined;
  const team = await store.teams.get(teamId);
  if (team === undefined) {
    throw new GatewayError('invalid_request', `Team '${teamId}' does not exist; create it with /team/new first.`, {
      param: 'team_id',
    });
  }
  return team;
}

/**
 * A key in a team that restricts models may only list models of that team: the key would get the
 * intersection anyway, and a model outside it is almost certainly a mistake worth reporting.
 */
export function assertModelsWithinTeam(models: readonly string[], team: TeamRecord | undefined): void {
  if (team === undefined || team.models.length === 0 || team.models.includes('all-proxy-models')) return;
  const outside = models.filter((m) => !SPECIAL_MODELS.has(m) && !team.models.includes(m));
  if (outside.length === 0) return;
  throw new GatewayError(
    'invalid_request',
    `models: ${outside.map((m) => `'${m}'`).join(', ')} not allowed for team '${team.teamId}' (team models: ${team.models.join(', ')}).`,
    { param: 'models' },
  );
}

/** Aliases name keys in `/key/delete`, so two keys may not share one. */
export async function assertAliasFree(store: Store, alias: string | null | undefined, ownHash: string | null): Promise<void> {
  if (alias === null || alias === undefined) return;
  const taken = (await store.keys.list({})).some((k) => k.keyAlias === alias && k.keyHash !== ownHash);
  if (taken) throw new GatewayError('invalid_request', `key_alias '${alias}' is already used by another key.`, { param: 'key_alias' });
}

/** The expiry the settings ask for: undefined when they do not mention it, null for never. */
export function expiryOf(settings: KeySettings, now: number): number | null | undefined {
  const { duration, expiresAtMs } = settings;
  if (typeof duration === 'string' && typeof expiresAtMs === 'number') {
    throw new GatewayError('invalid_request', "Give either 'duration' or 'expires', not both.", { param: 'expires' });
  }
  if (typeof duration === 'string') return addDuration(now, duration, 'duration');
  if (typeof expiresAtMs === 'number') return expiresAtMs;
  // An explicit null in either field means "never expires".
  return duration === null || expiresAtMs === null ? null : undefined;
}

/** When a new budget window ends: one `budget_duration` from now, or never. */
export const budgetResetOf = (budgetDuration: string | null, now: number): number | null =>
  budgetDuration === null ? null : addDuration(now, budgetDuration, 'budget_duration');
