/** Brings a database to the latest schema; safe to run at every start and from several replicas. */
import { Migrator } from 'kysely';
import type { Kysely } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

/**
 * `schema` (PostgreSQL) must be given: without it Kysely's Migrator looks for its bookkeeping
 * table in every schema of the database, so a second batchgate schema would find the first's,
 * skip creating its own and then fail to read it.
 */
const migratorOf = (db: Kysely<Database>, schema: string | undefined): Migrator =>
  new Migrator({
    db,
    provider: migrationProvider,
    // Our own names, so a database shared with another Kysely app does not mix histories.
    migrationTableName: 'batchgate_migration',
    migrationLockTableName: 'batchgate_migration_lock',
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });

/** The migrations not applied yet, by name (`batchgate migrate` reports them). */
export async function pendingMigrations(db: Kysely<Database>, schema: string | undefined): Promise<string[]> {
  return (await migratorOf(db, schema).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

export async function migrateToLatest(db: Kysely<Database>, schema: string | undefined): Promise<void> {
  const migrator = migratorOf(db, schema);
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const what = failed === undefined ? 'preparing the database migrations' : `database migration ${failed}`;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${what} failed: ${reason}`, { cause: error });
  }
}
