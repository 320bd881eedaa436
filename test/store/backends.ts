/**
 * The databases the store contract suite runs against: SQLite always, PostgreSQL when a server is
 * reachable (see test/helpers/postgres.ts for the skip/require policy). Every `open()` gives a
 * fresh, empty database so tests never see each other's rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/domain/ports/store.js';
import { createStore } from '../../src/store/create-store.js';
import type { StoreOptions } from '../../src/store/create-store.js';
import { createThrowawaySchema } from '../helpers/postgres.js';
import type { PostgresForTests } from '../helpers/postgres.js';

export interface OpenedBackend {
  readonly store: Store;
  /** Another store over the same database, as a restart or a second replica would open it. */
  reopen(): Promise<Store>;
  /** Closes every store opened here and removes the database. */
  dispose(): Promise<void>;
}

export interface Backend {
  readonly name: string;
  open(): Promise<OpenedBackend>;
}

async function openAll(options: StoreOptions, cleanup: () => Promise<void>): Promise<OpenedBackend> {
  const stores: Store[] = [];
  const reopen = async (): Promise<Store> => {
    const store = await createStore(options);
    stores.push(store);
    return store;
  };
  try {
    const store = await reopen();
    return {
      store,
      reopen,
      dispose: async () => {
        await Promise.all(stores.map((s) => s.close()));
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  open: async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'batchgate-store-'));
    return openAll({ databaseUrl: null, dataDir }, () => rm(dataDir, { recursive: true, force: true }));
  },
};

export const postgresBackend = (url: string): Backend => ({
  name: 'postgres',
  open: async () => {
    const schema = await createThrowawaySchema(url);
    return openAll({ databaseUrl: url, dataDir: tmpdir(), pgSchema: schema.name }, () => schema.drop());
  },
});

export function backendsFor(postgres: PostgresForTests): Backend[] {
  if (!postgres.available) {
    console.warn(`[store contract] PostgreSQL half SKIPPED: ${postgres.reason}`);
    return [sqliteBackend];
  }
  return [sqliteBackend, postgresBackend(postgres.url)];
}
