/**
 * PostgreSQL for tests. Suites that need it ask `postgresForTests()` once: when the server is
 * missing they skip their PostgreSQL half with a printed reason, unless BATCHGATE_REQUIRE_POSTGRES=1
 * (CI), where a missing server is a failure, never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const postgresTestUrl = (): string =>
  process.env.BATCHGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresForTests = { available: true; url: string } | { available: false; reason: string };

const PROBE_TIMEOUT_MS = 2_000;

/** The URL without its password, fit for a log line. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** Runs `work` on a short-lived client, always closing it. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresForTests(): Promise<PostgresForTests> {
  const url = postgresTestUrl();
  try {
    await withClient(url, (client) => client.query('select 1'));
    return { available: true, url };
  } catch (error) {
    const reason = `no PostgreSQL at ${redacted(url)} (${error instanceof Error ? error.message : String(error)}); set BATCHGATE_TEST_DATABASE_URL to point at one`;
    if (process.env.BATCHGATE_REQUIRE_POSTGRES === '1') {
      throw new Error(`BATCHGATE_REQUIRE_POSTGRES=1 but ${reason}`, { cause: error });
    }
    return { available: false, reason };
  }
}

export interface ThrowawaySchema {
  readonly name: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A fresh schema with a random name, so test files running in parallel never share tables. */
export async function createThrowawaySchema(url: string): Promise<ThrowawaySchema> {
  const name = `bg_test_${randomBytes(6).toString('hex')}`;
  // The name is ours and made of [a-z0-9_] only, so it needs no quoting.
  await withClient(url, (client) => client.query(`create schema ${name}`));
  return {
    name,
    drop: async () => {
      await withClient(url, (client) => client.query(`drop schema if exists ${name} cascade`));
    },
  };
}
