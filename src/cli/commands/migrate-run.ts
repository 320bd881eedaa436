/**
 * What `batchgate migrate` does (loaded only when it runs: it pulls in the store and its
 * database drivers). It brings the configured database to the latest schema and closes it, so an
 * operator can migrate before rolling out replicas (every `serve` also migrates at start-up; this
 * is the same code, `createStore`). It says which migrations it applied.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { ConfigError } from '../../config/load.js';
import { redactUrl } from '../../config/redact.js';
import type { GatewayConfig } from '../../config/types.js';
import { createStore } from '../../store/create-store.js';
import { pendingMigrations } from '../../store/migrate.js';
import type { Database } from '../../store/schema.js';
import { openSqlite } from '../../store/sqlite.js';
import { note, printJson, say } from '../command-kit.js';
import { configFrom, type ServeOptions } from '../config-options.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';

export interface MigrateFlags extends ServeOptions {
  readonly json?: boolean;
}

const describeStore = (config: GatewayConfig): string =>
  config.databaseUrl === null
    ? `sqlite ${join(config.dataDir, 'batchgate.db')}`
    : `postgres ${redactUrl(config.databaseUrl)}${config.databaseSchema === null ? '' : ` (schema ${config.databaseSchema})`}`;

/** The migrations not yet applied, read before `createStore` applies them. */
async function pendingOf(config: GatewayConfig): Promise<string[]> {
  const { db, schema }: { db: Kysely<Database>; schema: string | undefined } =
    config.databaseUrl === null
      ? { db: openSqlite(config.dataDir), schema: undefined }
      : await import('../../store/postgres.js').then((m) => m.openPostgres(config.databaseUrl as string, config.databaseSchema ?? undefined));
  try {
    return await pendingMigrations(db, schema);
  } finally {
    await db.destroy();
  }
}

export async function runMigrate(flags: MigrateFlags): Promise<ExitCode> {
  let config: GatewayConfig;
  try {
    config = await configFrom(flags);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  const store = describeStore(config);
  try {
    const pending = await pendingOf(config);
    await (await createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgSchema: config.databaseSchema ?? undefined })).close();
    if (flags.json === true) printJson({ store, applied: pending });
    else if (pending.length === 0) say(`${store}: already up to date`);
    else {
      say(`${store}: applied ${pending.length} migration(s)`);
      for (const name of pending) say(`  ${name}`);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    note(`migrating ${store} failed`);
    throw new CliError(err instanceof Error ? err.message : String(err), EXIT.failure);
  }
  return EXIT.ok;
}
