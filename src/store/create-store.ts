/**
 * Opens the store the configuration asks for: embedded SQLite under the data dir when there is no
 * database URL, PostgreSQL otherwise. Migrations run before the store is handed out.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Store } from '../domain/ports/store.js';
import { migrateToLatest } from './migrate.js';
import { batchRepository } from './repositories/batches.js';
import { executionRepository } from './repositories/executions.js';
import { lineKeyRepository } from './repositories/line-keys.js';
import { fileRepository } from './repositories/files.js';
import { keyRepository } from './repositories/keys.js';
import { outboxRepository } from './repositories/outbox.js';
import { pollRepository } from './repositories/polls.js';
import { rateLimitRepository } from './repositories/rate-limits.js';
import { spendRepository } from './repositories/spend.js';
import { teamRepository } from './repositories/teams.js';
import type { Database } from './schema.js';
import { openSqlite } from './sqlite.js';

export interface StoreOptions {
  /** PostgreSQL connection string, or null for the embedded SQLite file. */
  readonly databaseUrl: string | null;
  /** Where the SQLite file (`batchgate.db`) lives; created when missing. */
  readonly dataDir: string;
  /** PostgreSQL only: the schema to create and use instead of the default search_path. */
  readonly pgSchema?: string | undefined;
}

export async function createStore(options: StoreOptions): Promise<Store> {
  const { db, schema } =
    options.databaseUrl === null
      ? { db: openSqlite(options.dataDir), schema: undefined }
      : // Loaded only for PostgreSQL: pg and its type parsers are ≈ 30 modules an embedded
        // gateway would otherwise hold in memory for nothing (bench/idle-memory.mjs).
        await import('./postgres.js').then((m) => m.openPostgres(options.databaseUrl as string, options.pgSchema));
  try {
    await migrateToLatest(db, schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return storeOver(db, { skipLocked: options.databaseUrl !== null });
}

function storeOver(db: Kysely<Database>, options: { readonly skipLocked: boolean }): Store {
  return {
    polls: pollRepository(db, options),
    spend: spendRepository(db),
    files: fileRepository(db),
    batches: batchRepository(db),
    keys: keyRepository(db),
    teams: teamRepository(db),
    rateLimits: rateLimitRepository(db),
    outbox: outboxRepository(db, options),
    executions: executionRepository(db, options),
    lineKeys: lineKeyRepository(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
