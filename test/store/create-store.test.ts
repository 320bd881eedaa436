/**
 * What createStore does besides the contract: where SQLite lives and how it is opened, and which
 * PostgreSQL schema the tables go to.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/domain/ports/store.js';
import { createStore } from '../../src/store/create-store.js';
import { createThrowawaySchema, postgresForTests } from '../helpers/postgres.js';
import type { ThrowawaySchema } from '../helpers/postgres.js';
import { teamRecord } from './fixtures.js';

const postgres = await postgresForTests();

describe('createStore on SQLite', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'batchgate-create-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the data dir and a WAL-mode batchgate.db in it', async () => {
    const dataDir = join(root, 'nested', 'data');
    const store = await createStore({ databaseUrl: null, dataDir });
    try {
      await store.ping();
      expect(existsSync(join(dataDir, 'batchgate.db'))).toBe(true);
    } finally {
      await store.close();
    }
    // journal_mode=WAL is recorded in the file itself, so a fresh connection reports it.
    const raw = new Sqlite(join(dataDir, 'batchgate.db'), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['batches', 'file_copies', 'files', 'keys', 'teams']));
    } finally {
      raw.close();
    }
  });

  it("answers the worker's due-poll claim and lag query from one index range, not by visiting every ready batch", async () => {
    const dataDir = join(root, 'data');
    const store = await createStore({ databaseUrl: null, dataDir });
    await store.close();
    const raw = new Sqlite(join(dataDir, 'batchgate.db'), { readonly: true });
    try {
      // The statements src/store/repositories/polls.ts builds (claimDue's candidates, oldestDueMs).
      const plan = (query: string, ...params: number[]) =>
        raw
          .prepare(`explain query plan ${query}`)
          .all(...params)
          .map((r) => (r as { detail: string }).detail)
          .join(' | ');
      const claim = plan(
        `select "id", "lease_token" from "batches" where "state" = 'ready' and "next_poll_at_ms" <= ? and ("lease_expires_at_ms" is null or "lease_expires_at_ms" < ?) order by "next_poll_at_ms" limit 8`,
        1,
        1,
      );
      expect(claim).toMatch(/USING INDEX batches_due_poll_idx \(state=\? AND next_poll_at_ms<\?\)/);
      expect(claim).not.toMatch(/TEMP B-TREE/);
      const lag = plan(`select min("next_poll_at_ms") as "due" from "batches" where "state" = 'ready' and "next_poll_at_ms" <= ?`, 1);
      expect(lag).toMatch(/batches_due_poll_idx/);
    } finally {
      raw.close();
    }
  });

  it('rejects a PostgreSQL schema name that cannot be used safely, before connecting', async () => {
    await expect(
      createStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', dataDir: root, pgSchema: 'x; drop' }),
    ).rejects.toThrow(/invalid PostgreSQL schema name/);
  });
});

/** The connection string with a search_path startup option, as an operator might configure. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function tablesIn(url: string, schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = $1 order by table_name',
      [schema],
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

// Without a server the contract suite has already printed why the PostgreSQL half is skipped.
for (const url of postgres.available ? [postgres.url] : []) {
  describe('createStore on PostgreSQL without pgSchema', () => {
    const schemas: ThrowawaySchema[] = [];
    const stores: Store[] = [];

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await Promise.all(schemas.splice(0).map((s) => s.drop()));
    });

    // PostgreSQL stores never touch the data dir; tmpdir() stands in for it.
    it('migrates into the search_path schema although another schema has batchgate tables', async () => {
      const first = await createThrowawaySchema(url);
      const second = await createThrowawaySchema(url);
      schemas.push(first, second);
      const firstStore = await createStore({ databaseUrl: url, dataDir: tmpdir(), pgSchema: first.name });
      stores.push(firstStore);
      const store = await createStore({ databaseUrl: withSearchPath(url, second.name), dataDir: tmpdir() });
      stores.push(store);

      await store.teams.insert(teamRecord());
      expect(await store.teams.get('team-1')).toEqual(teamRecord());
      expect(await tablesIn(url, second.name)).toEqual(
        expect.arrayContaining(['batchgate_migration', 'batches', 'file_copies', 'files', 'keys', 'teams']),
      );
      expect(await firstStore.teams.list()).toEqual([]);
    });
  });
}
