/**
 * Keys and teams as LiteLLM's management API returns them (snake_case, ISO times). A view never
 * holds the plain key: only `/key/generate` adds it, once.
 */
import type { KeyRecord, TeamRecord } from '../ports/store.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export interface KeyView {
  /** The key's SHA-256: LiteLLM's `token`, usable wherever a key is named in admin calls. */
  readonly token: string;
  readonly key_name: string;
  readonly key_alias: string | null;
  readonly user_id: string | null;
  readonly team_id: string | null;
  readonly models: readonly string[];
  readonly spend: number;
  readonly max_budget: number | null;
  readonly budget_duration: string | null;
  readonly budget_reset_at: string | null;
  readonly rpm_limit: number | null;
  readonly tpm_limit: number | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly expires: string | null;
  readonly created_at: string | null;
  readonly updated_at: string | null;
  /** Only on keys with their own webhook endpoint; its secret is never part of a view. */
  readonly webhook_url?: string;
}

export const keyView = (k: KeyRecord): KeyView => ({
  token: k.keyHash,
  key_name: k.keyName,
  key_alias: k.keyAlias,
  user_id: k.userId,
  team_id: k.teamId,
  models: k.models,
  spend: k.spend,
  max_budget: k.maxBudget,
  budget_duration: k.budgetDuration,
  budget_reset_at: iso(k.budgetResetAtMs),
  rpm_limit: k.rpmLimit,
  tpm_limit: k.tpmLimit,
  metadata: k.metadata,
  expires: iso(k.expiresAtMs),
  created_at: iso(k.createdAtMs),
  updated_at: iso(k.updatedAtMs),
  ...(k.webhookUrl == null ? {} : { webhook_url: k.webhookUrl }),
});

export interface TeamView {
  readonly team_id: string;
  readonly team_alias: string | null;
  readonly models: readonly string[];
  readonly spend: number;
  readonly max_budget: number | null;
  readonly budget_duration: string | null;
  readonly budget_reset_at: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly created_at: string | null;
  readonly updated_at: string | null;
}

export const teamView = (t: TeamRecord): TeamView => ({
  team_id: t.teamId,
  team_alias: t.teamAlias,
  models: t.models,
  spend: t.spend,
  max_budget: t.maxBudget,
  budget_duration: t.budgetDuration,
  budget_reset_at: iso(t.budgetResetAtMs),
  metadata: t.metadata,
  created_at: iso(t.createdAtMs),
  updated_at: iso(t.updatedAtMs),
});
