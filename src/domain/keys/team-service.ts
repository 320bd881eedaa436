/**
 * Teams in LiteLLM's management shapes (`/team/new|info|list`): a shared model list and budget
 * for their keys. Only the master key creates and lists teams; a key may read its own team.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors/gateway-error.js';
import { assertAdmin } from '../auth/admin.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store, TeamRecord } from '../ports/store.js';
import type { Principal } from '../principal.js';
import { currentTeam } from '../limits/current.js';
import { budgetResetOf } from './key-settings.js';
import { keyView, teamView, type KeyView, type TeamView } from './views.js';

export interface TeamSettings {
  readonly teamId?: string | null | undefined;
  readonly teamAlias?: string | null | undefined;
  readonly models?: readonly string[] | undefined;
  readonly maxBudget?: number | null | undefined;
  readonly budgetDuration?: string | null | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

export interface TeamInfo {
  readonly team_id: string;
  readonly team_info: TeamView;
  /** The team's keys (hashes and settings, never plain keys); listed for the master key only. */
  readonly keys: readonly KeyView[];
}

const teamExists = (teamId: string): GatewayError =>
  new GatewayError('invalid_request', `Team id = ${teamId} already exists. Please use a different team id.`, { param: 'team_id' });

export class TeamService {
  constructor(private readonly deps: { readonly store: Store; readonly clock: Clock; readonly logger: Logger }) {}

  async create(principal: Principal, settings: TeamSettings): Promise<TeamView> {
    assertAdmin(principal, 'create teams');
    const { store, clock } = this.deps;
    const now = clock.now();
    const teamId = settings.teamId ?? randomUUID();
    if ((await store.teams.get(teamId)) !== undefined) throw teamExists(teamId);
    const budgetDuration = settings.budgetDuration ?? null;
    const record: TeamRecord = {
      teamId,
      teamAlias: settings.teamAlias ?? null,
      models: settings.models ?? [],
      maxBudget: settings.maxBudget ?? null,
      budgetDuration,
      budgetResetAtMs: budgetResetOf(budgetDuration, now),
      spend: 0,
      metadata: settings.metadata ?? {},
      createdAtMs: now,
      updatedAtMs: now,
    };
    try {
      await store.teams.insert(record);
    } catch (err) {
      // Lost a race for the same id: answer as if the check above had seen it.
      if ((await store.teams.get(teamId)) !== undefined) throw teamExists(teamId);
      throw err;
    }
    this.deps.logger.info({ teamId, teamAlias: record.teamAlias }, 'team created');
    return teamView(record);
  }

  async info(principal: Principal, teamId: string | null): Promise<TeamInfo> {
    const id = teamId ?? principal.teamId;
    if (id === null) {
      throw new GatewayError('missing_required_parameter', "Missing required parameter: 'team_id'.", { param: 'team_id' });
    }
    // The same 403 whether or not the team exists, so a key learns nothing about other teams.
    if (!principal.isAdmin && id !== principal.teamId) {
      throw new GatewayError('admin_only', "A virtual key may only read its own team's info; use the master key for other teams.");
    }
    const { store, clock } = this.deps;
    const found = await store.teams.get(id);
    if (found === undefined) throw new GatewayError('not_found', `Team not found: ${id}`, { param: 'team_id' });
    const team = await currentTeam(store, found, clock.now());
    const keys = principal.isAdmin ? (await store.keys.list({ teamId: id })).map(keyView) : [];
    return { team_id: id, team_info: teamView(team), keys };
  }

  async list(principal: Principal): Promise<TeamView[]> {
    assertAdmin(principal, 'list teams');
    return (await this.deps.store.teams.list()).map(teamView);
  }
}
