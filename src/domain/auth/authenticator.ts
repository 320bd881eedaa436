/**
 * Turns the presented key into a Principal: the master key is the admin; a virtual key is looked
 * up by its hash and must exist and not be expired. Without a master key there is no auth at all
 * (as LiteLLM without `master_key`) and every caller is the admin.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { ADMIN_PRINCIPAL, type Principal } from '../principal.js';
import type { Clock } from '../ports/clock.js';
import type { KeyRecord, Store, TeamRecord } from '../ports/store.js';
import { keyDigest, sameDigest } from './key-hash.js';

/** LiteLLM's special model-list values. */
const ALL_PROXY_MODELS = 'all-proxy-models';
const ALL_TEAM_MODELS = 'all-team-models';

const invalidKey = (message: string): GatewayError => new GatewayError('invalid_api_key', message);

export class Authenticator {
  /** The master key's digest, which is all a request is compared against; null: no auth. */
  private readonly masterDigest: Buffer | null;

  constructor(
    private readonly store: Store,
    masterKey: string | null,
    private readonly clock: Clock,
  ) {
    this.masterDigest = masterKey === null ? null : keyDigest(masterKey);
  }

  get authEnabled(): boolean {
    return this.masterDigest !== null;
  }

  async authenticate(presented: string | null): Promise<Principal> {
    if (this.masterDigest === null) return ADMIN_PRINCIPAL;
    if (presented === null || presented === '') {
      throw invalidKey('Missing API key: send it as "Authorization: Bearer <key>".');
    }
    const digest = keyDigest(presented);
    if (sameDigest(digest, this.masterDigest)) return ADMIN_PRINCIPAL;
    const key = await this.store.keys.get(digest.toString('hex'));
    if (key === undefined) throw invalidKey('Invalid API key.');
    if (key.expiresAtMs !== null && key.expiresAtMs <= this.clock.now()) throw invalidKey('This API key has expired.');
    const team = key.teamId === null ? undefined : await this.store.teams.get(key.teamId);
    return {
      isAdmin: false,
      keyHash: key.keyHash,
      userId: key.userId,
      teamId: key.teamId,
      models: effectiveModels(key, team),
    };
  }
}

/** A key's model list narrowed by its team's: the intersection when both restrict. */
export const effectiveModels = (key: KeyRecord, team: TeamRecord | undefined): readonly string[] | null => {
  const teamModels = team === undefined || team.models.length === 0 || team.models.includes(ALL_PROXY_MODELS) ? null : team.models;
  const own = key.models.filter((m) => m !== ALL_TEAM_MODELS);
  const keyModels = own.length === 0 || own.includes(ALL_PROXY_MODELS) ? null : own;
  if (keyModels === null) return teamModels;
  if (teamModels === null) return keyModels;
  return keyModels.filter((m) => teamModels.includes(m));
};
