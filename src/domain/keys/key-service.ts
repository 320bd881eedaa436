/**
 * Virtual keys in LiteLLM's management shapes (`/key/generate|info|update|delete|list`). Only the
 * master key manages keys; a virtual key may read its own info. The plain key exists only in the
 * `/key/generate` response: the store holds its SHA-256, logs its abbreviated name.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { assertAdmin } from '../auth/admin.js';
import { hashKey } from '../auth/key-hash.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { KeyRecord, KeyUpdate, Store } from '../ports/store.js';
import type { Principal } from '../principal.js';
import { currentKey } from '../limits/current.js';
import {
  assertAliasFree,
  assertModelsWithinTeam,
  budgetResetOf,
  expiryOf,
  teamNamed,
  type KeySettings,
} from './key-settings.js';
import { hashOfKeyRef, keyNameOf, newPlainKey } from './plain-key.js';
import { keyWebhookChange } from '../events/key-webhook.js';
import { keyView, type KeyView } from './views.js';

export interface KeyServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether a master key is configured: without one there is no auth, so keys would mean nothing. */
  readonly authEnabled: boolean;
}

/** `webhook_secret` only when one was generated for this request: it is shown this once. */
export type GeneratedKey = KeyView & { readonly key: string; readonly webhook_secret?: string };

export interface KeyListQuery {
  readonly teamId?: string | undefined;
  readonly userId?: string | undefined;
  readonly keyAlias?: string | undefined;
  /** 1-based. */
  readonly page: number;
  readonly size: number;
  /** LiteLLM lists hashes by default, whole key objects with `return_full_object=true`. */
  readonly fullObjects: boolean;
}

export interface KeyList {
  readonly keys: ReadonlyArray<string | KeyView>;
  readonly total_count: number;
  readonly current_page: number;
  readonly total_pages: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const keyNotFound = (): GatewayError => new GatewayError('not_found', 'Key not found.', { param: 'key' });

export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  async generate(principal: Principal, settings: KeySettings): Promise<GeneratedKey> {
    assertAdmin(principal, 'generate keys');
    if (!this.deps.authEnabled) {
      throw new GatewayError(
        'invalid_request',
        'Virtual keys need a master key: set general_settings.master_key (or LITELLM_MASTER_KEY / BATCHGATE_MASTER_KEY); without one every caller is the admin.',
      );
    }
    const { store, clock } = this.deps;
    const now = clock.now();
    const teamId = settings.teamId ?? null;
    const models = settings.models ?? [];
    assertModelsWithinTeam(models, await teamNamed(store, teamId));
    await assertAliasFree(store, settings.keyAlias, null);
    const budgetDuration = settings.budgetDuration ?? null;
    const webhook = keyWebhookChange(settings, undefined);
    const plain = newPlainKey();
    const record: KeyRecord = {
      keyHash: hashKey(plain),
      keyName: keyNameOf(plain),
      keyAlias: settings.keyAlias ?? null,
      userId: settings.userId ?? null,
      teamId,
      models,
      maxBudget: settings.maxBudget ?? null,
      budgetDuration,
      budgetResetAtMs: budgetResetOf(budgetDuration, now),
      spend: 0,
      rpmLimit: settings.rpmLimit ?? null,
      tpmLimit: settings.tpmLimit ?? null,
      metadata: settings.metadata ?? {},
      expiresAtMs: expiryOf(settings, now) ?? null,
      createdAtMs: now,
      updatedAtMs: now,
      webhookUrl: webhook.webhookUrl ?? null,
      webhookSecret: webhook.webhookSecret ?? null,
    };
    await store.keys.insert(record);
    this.deps.logger.info({ keyName: record.keyName, keyAlias: record.keyAlias, teamId }, 'virtual key generated');
    return { key: plain, ...keyView(record), ...(webhook.generatedSecret === undefined ? {} : { webhook_secret: webhook.generatedSecret }) };
  }

  /** A key's info: any key for the master key, only itself for a virtual key. */
  async info(principal: Principal, ref: string | null): Promise<{ key: string; info: KeyView }> {
    const keyHash = ref === null ? principal.keyHash : hashOfKeyRef(ref);
    if (keyHash === null) {
      throw new GatewayError('missing_required_parameter', "Missing required parameter: 'key'.", { param: 'key' });
    }
    // The same 403 whether or not the other key exists, so a key learns nothing about others.
    if (!principal.isAdmin && keyHash !== principal.keyHash) {
      throw new GatewayError('admin_only', 'A virtual key may only read its own info; use the master key for other keys.');
    }
    const found = await this.deps.store.keys.get(keyHash);
    if (found === undefined) throw keyNotFound();
    const key = await currentKey(this.deps.store, found, this.deps.clock.now());
    return { key: key.keyHash, info: keyView(key) };
  }

  async update(principal: Principal, ref: string, settings: KeySettings): Promise<KeyView & { key: string; webhook_secret?: string }> {
    assertAdmin(principal, 'update keys');
    const { store, clock } = this.deps;
    const existing = await store.keys.get(hashOfKeyRef(ref));
    if (existing === undefined) throw keyNotFound();
    const now = clock.now();
    if (settings.teamId !== undefined || settings.models !== undefined) {
      const team = await teamNamed(store, settings.teamId === undefined ? existing.teamId : settings.teamId);
      assertModelsWithinTeam(settings.models ?? existing.models, team);
    }
    await assertAliasFree(store, settings.keyAlias, existing.keyHash);
    const update: Mutable<KeyUpdate> = { updatedAtMs: now };
    if (settings.models !== undefined) update.models = settings.models;
    if (settings.teamId !== undefined) update.teamId = settings.teamId;
    if (settings.userId !== undefined) update.userId = settings.userId;
    if (settings.keyAlias !== undefined) update.keyAlias = settings.keyAlias;
    if (settings.maxBudget !== undefined) update.maxBudget = settings.maxBudget;
    if (settings.metadata !== undefined) update.metadata = settings.metadata;
    if (settings.rpmLimit !== undefined) update.rpmLimit = settings.rpmLimit;
    if (settings.tpmLimit !== undefined) update.tpmLimit = settings.tpmLimit;
    if (settings.budgetDuration !== undefined) {
      // A new window length starts a new window now, as LiteLLM does on update.
      update.budgetDuration = settings.budgetDuration;
      update.budgetResetAtMs = budgetResetOf(settings.budgetDuration, now);
    }
    const expiresAtMs = expiryOf(settings, now);
    if (expiresAtMs !== undefined) update.expiresAtMs = expiresAtMs;
    const webhook = keyWebhookChange(settings, existing);
    if (webhook.webhookUrl !== undefined) update.webhookUrl = webhook.webhookUrl;
    if (webhook.webhookSecret !== undefined) update.webhookSecret = webhook.webhookSecret;
    await store.keys.update(existing.keyHash, update);
    const updated = await store.keys.get(existing.keyHash);
    if (updated === undefined) throw keyNotFound();
    this.deps.logger.info({ keyName: updated.keyName, fields: Object.keys(update) }, 'virtual key updated');
    return {
      key: updated.keyHash,
      ...keyView(updated),
      ...(webhook.generatedSecret === undefined ? {} : { webhook_secret: webhook.generatedSecret }),
    };
  }

  /**
   * Deletes keys named by key (plain or hash) or by alias. All or nothing: when one is unknown,
   * nothing is deleted and the answer is 404. Answers with the hashes, never the plain keys.
   */
  async delete(principal: Principal, refs: { keys: readonly string[]; keyAliases: readonly string[] }): Promise<{ deleted_keys: string[] }> {
    assertAdmin(principal, 'delete keys');
    const { store } = this.deps;
    if (refs.keys.length === 0 && refs.keyAliases.length === 0) {
      throw new GatewayError('missing_required_parameter', "Missing required parameter: 'keys' (or 'key_aliases').", {
        param: 'keys',
      });
    }
    const hashes = new Set<string>();
    for (const ref of refs.keys) {
      const key = await store.keys.get(hashOfKeyRef(ref));
      if (key === undefined) throw keyNotFound();
      hashes.add(key.keyHash);
    }
    if (refs.keyAliases.length > 0) {
      const all = await store.keys.list({});
      for (const alias of refs.keyAliases) {
        const key = all.find((k) => k.keyAlias === alias);
        if (key === undefined) throw new GatewayError('not_found', `No key has the alias '${alias}'.`, { param: 'key_aliases' });
        hashes.add(key.keyHash);
      }
    }
    for (const hash of hashes) await store.keys.delete(hash);
    this.deps.logger.info({ count: hashes.size }, 'virtual keys deleted');
    return { deleted_keys: [...hashes] };
  }

  async list(principal: Principal, query: KeyListQuery): Promise<KeyList> {
    assertAdmin(principal, 'list keys');
    const all = await this.deps.store.keys.list({ teamId: query.teamId, userId: query.userId });
    const matching = query.keyAlias === undefined ? all : all.filter((k) => k.keyAlias === query.keyAlias);
    const start = (query.page - 1) * query.size;
    const page = matching.slice(start, start + query.size);
    return {
      keys: query.fullObjects ? page.map(keyView) : page.map((k) => k.keyHash),
      total_count: matching.length,
      current_page: query.page,
      total_pages: Math.ceil(matching.length / query.size),
    };
  }
}
