/**
 * What file and batch listings share: owner columns, the scope a caller may see, keyset cursors
 * over (created_at_ms, id), and turning `limit + 1` rows into a page.
 */
import { expressionBuilder } from 'kysely';
import type { Expression, SqlBool } from 'kysely';
import type { ListCursor, Page } from '../../domain/ports/store.js';
import type { Owner, OwnerScope } from '../../domain/principal.js';
import type { Database, ListedTable } from '../schema.js';

interface OwnerRow {
  owner_key_hash: string | null;
  owner_user_id: string | null;
  owner_team_id: string | null;
}

export const ownerColumns = (owner: Owner): OwnerRow => ({
  owner_key_hash: owner.keyHash,
  owner_user_id: owner.userId,
  owner_team_id: owner.teamId,
});

export const ownerOfRow = (row: OwnerRow): Owner => ({
  keyHash: row.owner_key_hash,
  userId: row.owner_user_id,
  teamId: row.owner_team_id,
});

const eb = expressionBuilder<Database, ListedTable>();

/**
 * The rows a scope may see: undefined for no filter (admin), null when it can see nothing (so the
 * caller skips the query), else the condition. Mirrors `canSee` in the domain.
 */
export function scopeCondition(scope: OwnerScope): Expression<SqlBool> | undefined | null {
  if (scope.all) return undefined;
  const visible: Expression<SqlBool>[] = [];
  if (scope.keyHash !== null) visible.push(eb('owner_key_hash', '=', scope.keyHash));
  if (scope.teamId !== null) visible.push(eb('owner_team_id', '=', scope.teamId));
  return visible.length === 0 ? null : eb.or(visible);
}

/**
 * Rows strictly after `cursor` in the listing order. Spelled out rather than as a row-value
 * comparison so SQLite and PostgreSQL read it alike.
 */
export function afterCondition(cursor: ListCursor, order: 'asc' | 'desc'): Expression<SqlBool> {
  const beyond = order === 'asc' ? '>' : '<';
  return eb.or([
    eb('created_at_ms', beyond, cursor.createdAtMs),
    eb.and([eb('created_at_ms', '=', cursor.createdAtMs), eb('id', beyond, cursor.id)]),
  ]);
}

/** `rows` were fetched with `limit + 1`: the extra row only tells that more follow. */
export function toPage<R, T>(rows: readonly R[], limit: number, map: (row: R) => T): Page<T> {
  return { items: rows.slice(0, limit).map(map), hasMore: rows.length > limit };
}

export const emptyPage = <T>(): Page<T> => ({ items: [], hasMore: false });
