/** PostgreSQL, for several replicas sharing state. */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import type { Database } from './schema.js';

// bigint (int8) holds millisecond times and counters, all far below 2^53: read them as numbers.
// The override is per pool so other users of `pg` in the process keep the library default.
const types: CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
};

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface OpenedPostgres {
  readonly db: Kysely<Database>;
  /** The schema our tables live in: the one asked for, else the connection's current schema. */
  readonly schema: string;
}

/** `schema` (tests use one each) becomes every connection's search_path, created if missing. */
export async function openPostgres(connectionString: string, schema?: string): Promise<OpenedPostgres> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    // It is spliced into a startup option, where quoting is not available.
    throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  }
  const pool = new pg.Pool({
    connectionString,
    types,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client that loses its connection emits 'error' on the pool; unheard, that would end
  // the process. The pool drops that client and the next query reconnects (ping() reports it).
  pool.on('error', () => {});
  // A client checked out for a transaction that loses its connection between two statements
  // emits 'error' on itself, where the pool is not listening: unheard, that too would end the
  // process. Its next statement fails instead, and the transaction rolls back.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    return { db, schema: schema ?? (await currentSchema(db)) };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema == null) throw new Error('PostgreSQL search_path names no existing schema to create tables in');
  return schema;
}
