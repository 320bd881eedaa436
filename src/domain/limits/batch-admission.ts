/**
 * The admission check at batch create, before anything goes upstream: the key's and its team's
 * budgets (from the spend the store holds), then the key's per-minute request and token limits.
 * The master key is never limited. Budgets are checked before rate windows are charged, so a
 * refused batch never uses up a minute's allowance.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { BatchAdmission } from '../batches/batch-service.js';
import type { Clock } from '../ports/clock.js';
import type { FileRecord, KeyRecord, Store } from '../ports/store.js';
import type { Principal } from '../principal.js';
import { assertWithinBudget } from './budget.js';
import { currentKey, currentTeam } from './current.js';
import { chargeKeyRate } from './rate-limit.js';

/** How a key is named in messages: its alias or its abbreviated form, never the key itself. */
export const keyLabel = (key: KeyRecord): string =>
  key.keyAlias === null ? `key '${key.keyName}'` : `key '${key.keyName}' (alias '${key.keyAlias}')`;

export class LimitsAdmission implements BatchAdmission {
  constructor(private readonly deps: { readonly store: Store; readonly clock: Clock }) {}

  async admit(principal: Principal, input: { readonly file: FileRecord; readonly modelGroup: string | null }): Promise<void> {
    if (principal.keyHash === null) return;
    const { store, clock } = this.deps;
    const now = clock.now();
    const found = await store.keys.get(principal.keyHash);
    // Deleted between authentication and now: the same answer as a deleted key at the door.
    if (found === undefined) throw new GatewayError('invalid_api_key', 'Invalid API key.');
    const key = await currentKey(store, found, now);
    assertWithinBudget(keyLabel(key), key);
    if (key.teamId !== null) {
      const team = await store.teams.get(key.teamId);
      if (team !== undefined) assertWithinBudget(`team '${team.teamId}'`, await currentTeam(store, team, now));
    }
    await chargeKeyRate(store, now, key, keyLabel(key), {
      // Only inspected batch inputs reach here; an unknown count is charged as one request.
      requests: input.file.lineCount ?? 1,
      tokens: input.file.inputTokens ?? 0,
    });
  }
}
