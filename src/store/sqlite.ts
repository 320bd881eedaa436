/** The embedded default: one SQLite file under the data dir, nothing to install. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';

export function openSqlite(dataDir: string): Kysely<Database> {
  mkdirSync(dataDir, { recursive: true });
  const database = new Sqlite(join(dataDir, 'batchgate.db'));
  // WAL lets readers (a CLI, a second process) work while the gateway writes; the busy timeout
  // makes a writer wait for another process's lock instead of failing at once.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // With WAL, NORMAL syncs at checkpoints instead of at every commit: a killed process loses
  // nothing committed (the WAL is in the OS's hands), only a power loss may lose the last
  // commits — never the database. A batch create commits several times; FULL made each a disk sync.
  database.pragma('synchronous = NORMAL');
  // A bounded page cache of 8 MB (better-sqlite3 builds SQLite with 16 MB), so the store's share
  // of the process's memory does not depend on how much it has written.
  database.pragma('cache_size = -8000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
}

/** Statements kept for reuse: every distinct query the repositories run, with room to spare. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares a statement for every query, and each better-sqlite3 statement holds native
 * memory until its small JS wrapper is collected, which V8 does lazily since it cannot see that
 * memory: a gateway-executed batch storing one result per line piled them up by the hundred
 * thousand. Statements are reused by their SQL text instead (safe: better-sqlite3 runs one at a
 * time, and no repository streams rows with `iterate`).
 */
function withStatementCache(database: Sqlite.Database): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        // Most recently used last, so the oldest is the one evicted.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}
