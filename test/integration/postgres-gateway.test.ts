/**
 * The gateway on PostgreSQL, end to end: `general_settings.database_url` names a throwaway schema
 * through libpq's `options=-c search_path=<schema>` URL parameter, the official `openai` client
 * runs the seed flow (upload → create → retrieve until completed → content → list → cancel), and
 * a restarted gateway on the same database still serves what the first one created. Readiness
 * answers 503 while the database is unreachable and 200 again once it is back.
 *
 * Policy of test/helpers/postgres.ts: without a server the PostgreSQL tests are not registered
 * (with a printed reason), unless BATCHGATE_REQUIRE_POSTGRES=1, where that is a failure.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import OpenAI, { toFile } from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, tempDir, type InProcessGateway } from '../helpers/gateway.js';
import { createThrowawaySchema, postgresForTests, type ThrowawaySchema } from '../helpers/postgres.js';
import { jsonl } from '../conformance/wire-client.js';

const UPSTREAM_KEY = 'sk-upstream-postgres';
const postgres = await postgresForTests();
if (!postgres.available) console.warn(`[postgres gateway] PostgreSQL tests SKIPPED: ${postgres.reason}`);

/** The test database URL with `search_path` set to `schema` for every connection. */
const urlWithSchema = (base: string, schema: string): string => {
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
};

const yamlFor = (fake: FakeUpstream, databaseUrl: string): string => `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fake.baseUrl}
      api_key: os.environ/UPSTREAM_KEY
    model_info:
      id: openai-pg
general_settings:
  database_url: ${JSON.stringify(databaseUrl)}
`;

/** A port nothing listens on (bound, then released). */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
};

/** A TCP relay to PostgreSQL that the test can cut (connections reset, port closed) and restore. */
interface Relay {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

const startRelay = async (target: URL): Promise<Relay> => {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  let server: Server;
  const listen = async (port: number): Promise<number> => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      track(client);
      track(upstream);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
    return (server.address() as AddressInfo).port;
  };
  const cut = async (): Promise<void> => {
    const closed = new Promise<void>((res) => server.close(() => res()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  const port = await listen(0);
  return {
    port,
    cut,
    restore: async () => {
      await listen(port);
    },
    close: async () => {
      if (server.listening) await cut();
    },
  };
};

describe('a gateway whose database cannot be reached at start-up', () => {
  it('refuses to start, saying why', async () => {
    const fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
    const dir = await tempDir();
    try {
      const url = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
      await expect(startGateway({ yaml: yamlFor(fake, url), env: { UPSTREAM_KEY }, dataDir: dir.path })).rejects.toThrow(/ECONNREFUSED|connect/);
    } finally {
      await dir.remove();
      await fake.close();
    }
  });
});

if (postgres.available) {
  describe('the seed flow on PostgreSQL', () => {
    let fake: FakeUpstream;
    let schema: ThrowawaySchema;
    let databaseUrl: string;
    const gateways: InProcessGateway[] = [];

    const start = async (): Promise<{ gw: InProcessGateway; client: OpenAI }> => {
      const gw = await startGateway({ yaml: yamlFor(fake, databaseUrl), env: { UPSTREAM_KEY } });
      gateways.push(gw);
      return { gw, client: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
    };

    const tablesOf = async (name: string): Promise<string[]> => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by 1', [name]);
        return rows.map((r) => r.table_name);
      } finally {
        await client.end();
      }
    };

    const countRows = async (table: 'files' | 'batches', id: string): Promise<number> => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        // Both names are ours ([a-z0-9_]); the id is a parameter.
        const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${schema.name}.${table} where id = $1`, [id]);
        return Number(rows[0]?.n ?? 0);
      } finally {
        await client.end();
      }
    };

    beforeAll(async () => {
      fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
      schema = await createThrowawaySchema(postgres.url);
      databaseUrl = urlWithSchema(postgres.url, schema.name);
    });

    afterAll(async () => {
      for (const gw of gateways) await gw.close().catch(() => undefined);
      await fake?.close();
      await schema?.drop();
      expect(await tablesOf(schema.name)).toEqual([]);
    });

    it('runs upload → create → retrieve until completed → content → list → cancel, and survives a restart', async () => {
      const first = await start();
      // The URL's search_path put every table in the throwaway schema.
      expect(await tablesOf(schema.name)).toEqual(expect.arrayContaining(['batches', 'file_copies', 'files']));

      const content = jsonl('gpt-4o-mini', 3);
      const file = await first.client.files.create({ file: await toFile(Buffer.from(content), 'requests.jsonl'), purpose: 'batch' });
      expect(await countRows('files', file.id)).toBe(1);
      expect(await (await first.client.files.content(file.id)).text()).toBe(content);

      const batch = await first.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { store: 'postgres' } });
      expect(await countRows('batches', batch.id)).toBe(1);
      let current = batch;
      for (let i = 0; i < 10 && current.status !== 'completed'; i++) current = await first.client.batches.retrieve(batch.id);
      expect(current).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 }, metadata: { store: 'postgres' } });
      const outputId = current.output_file_id ?? '';
      expect(await countRows('files', outputId)).toBe(1);
      const output = await (await first.client.files.content(outputId)).text();
      expect(output.trim().split('\n').map((l) => (JSON.parse(l) as { custom_id: string }).custom_id).sort()).toEqual(['req-0', 'req-1', 'req-2']);

      expect((await first.client.batches.list({ limit: 100 })).data.map((b) => b.id)).toEqual([batch.id]);
      expect((await first.client.files.list()).data.map((f) => f.id).sort()).toEqual([file.id, outputId].sort());

      const pending = await first.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const cancelling = await first.client.batches.cancel(pending.id);
      expect(cancelling).toMatchObject({ id: pending.id, status: 'cancelling' });

      await first.gw.close();

      // Same database, new process state, new data dir: everything is still there.
      const second = await start();
      expect(await second.client.batches.retrieve(batch.id)).toEqual(current);
      expect((await second.client.batches.retrieve(pending.id)).status).toMatch(/^cancell(ing|ed)$/);
      expect(await (await second.client.files.content(outputId)).text()).toBe(output);
      expect((await second.client.batches.list({ limit: 100 })).data.map((b) => b.id).sort()).toEqual([batch.id, pending.id].sort());
      expect((await second.client.files.retrieve(file.id)).bytes).toBe(Buffer.byteLength(content));
    });
  });

  describe('a search_path naming a schema that does not exist', () => {
    it('stops start-up with a message saying so, creating nothing', async () => {
      const fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
      const dir = await tempDir();
      const missing = `bg_test_missing_${process.pid}`;
      try {
        await expect(startGateway({ yaml: yamlFor(fake, urlWithSchema(postgres.url, missing)), env: { UPSTREAM_KEY }, dataDir: dir.path })).rejects.toThrow(
          'PostgreSQL search_path names no existing schema to create tables in',
        );
      } finally {
        await dir.remove();
        await fake.close();
      }
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        expect((await client.query('select 1 from pg_namespace where nspname = $1', [missing])).rowCount).toBe(0);
      } finally {
        await client.end();
      }
    });
  });

  describe('readiness on PostgreSQL', () => {
    let fake: FakeUpstream;
    let schema: ThrowawaySchema;
    let relay: Relay;
    let gw: InProcessGateway | undefined;

    beforeAll(async () => {
      fake = await startFakeUpstream({ flavor: 'openai', apiKey: UPSTREAM_KEY });
      schema = await createThrowawaySchema(postgres.url);
      const target = new URL(postgres.url);
      relay = await startRelay(target);
      const viaRelay = new URL(urlWithSchema(postgres.url, schema.name));
      viaRelay.hostname = '127.0.0.1';
      viaRelay.port = String(relay.port);
      gw = await startGateway({ yaml: yamlFor(fake, viaRelay.toString()), env: { UPSTREAM_KEY } });
    });

    afterAll(async () => {
      await gw?.close();
      await relay?.close();
      await fake?.close();
      await schema?.drop();
    });

    it('answers 503 while the store is unreachable, and 200 again once it is back', async () => {
      const url = gw?.url ?? '';
      const ready = await fetch(`${url}/health/readiness`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'healthy', db: 'connected' });

      await relay.cut();
      const down = await fetch(`${url}/health/readiness`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'unhealthy', db: 'disconnected' });
      // Liveliness does not depend on the store.
      expect((await fetch(`${url}/health/liveliness`)).status).toBe(200);
      // Requests that need the store fail cleanly, without hanging and without the driver's text.
      const files = await fetch(`${url}/v1/files`);
      expect(files.status).toBeGreaterThanOrEqual(500);
      const body = (await files.json()) as { error: Record<string, unknown> };
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);

      await relay.restore();
      expect((await fetch(`${url}/health/readiness`)).status).toBe(200);
      expect((await fetch(`${url}/v1/files`)).status).toBe(200);
    });
  });
}


if (postgres.available) {
  describe('database_schema', () => {
    it('puts every table in its own schema of a shared database, without a search_path in the URL', async () => {
      const schema = await createThrowawaySchema(postgres.url);
      const yaml = `model_list:\n  - model_name: m\n    litellm_params: { model: openai/gpt-4o-mini, api_key: k }\ngeneral_settings:\n  database_url: ${JSON.stringify(postgres.url)}\n  database_schema: ${schema.name}\n`;
      const gw = await startGateway({ yaml });
      try {
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1', [schema.name]);
          expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['batches', 'files', 'line_keys', 'executions']));
        } finally {
          await client.end();
        }
      } finally {
        await gw.close();
        await schema.drop();
      }
    });
  });
}
