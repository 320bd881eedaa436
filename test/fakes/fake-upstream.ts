/**
 * Fake OpenAI and Azure OpenAI upstreams for tests: a real HTTP server on 127.0.0.1 that speaks
 * the Files and Batches wire formats of `reference/wire.md` §1–3 exactly (paths, auth, status
 * codes, objects, error envelopes), stores uploads on disk without buffering them, runs batches
 * one step per retrieve, and lets tests inject failures, delays, hangs and outages.
 *
 * @example
 *   const fake = await startFakeUpstream({ flavor: 'azure', apiKey: 'k', azureStyle: 'classic' });
 *   // deployment params: { api_base: fake.baseUrl, api_key: 'k', api_version: '2025-04-01-preview' }
 *   fake.failNext('retrieveBatch', { status: 429, headers: { 'retry-after': '3' } });
 *   await fake.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BatchStatus } from '../../src/contracts/openai.js';
import { FakeBatchRunner } from './fake-batch-runner.js';
import { FaultQueue } from './fake-faults.js';
import { FakeFileStore, randomId } from './fake-file-store.js';
import { HANDLERS, sendError, type Exchange, type FakeState } from './fake-handlers.js';
import { drain, headerRecord, sendBody, sleep } from './fake-http.js';
import type {
  FailSpec,
  FakeBatch,
  FakeFile,
  FakeFlavor,
  FakeOperation,
  FakeUpstreamOptions,
  RecordedRequest,
} from './fake-types.js';
import { AZURE_ACCESS_DENIED, AZURE_RESOURCE_NOT_FOUND, errorEnvelope, type WireContext } from './fake-wire.js';

export type * from './fake-types.js';
export { FAKE_COMPLETION_TOKENS, FAKE_PROMPT_TOKENS } from './fake-results.js';

/** Real api-versions with batch support (wire.md §3.1); the classic fake accepts these by default. */
export const DEFAULT_AZURE_API_VERSIONS: readonly string[] = [
  '2024-07-01-preview',
  '2024-08-01-preview',
  '2024-10-01-preview',
  '2024-10-21',
  '2024-12-01-preview',
  '2025-01-01-preview',
  '2025-03-01-preview',
  '2025-04-01-preview',
];
/** What the v1 API takes as `api-version`, when one is sent at all. */
const AZURE_V1_VERSIONS = ['v1', 'preview', 'latest'];

export interface FakeUpstream {
  /** Put this in `api_base`: `http://127.0.0.1:<port>/v1` (openai) or `http://127.0.0.1:<port>` (azure). */
  readonly baseUrl: string;
  readonly port: number;
  readonly flavor: FakeFlavor;
  /** Every request received, in order: method, path, query, headers (no bodies). */
  readonly requests: readonly RecordedRequest[];
  readonly files: ReadonlyMap<string, FakeFile>;
  readonly batches: ReadonlyMap<string, FakeBatch>;
  fileSha256(id: string): string;
  /** Distinct `body.model` values of the file's lines. */
  fileModels(id: string): string[];
  failNext(operation: FakeOperation, spec: FailSpec): void;
  delayNext(operation: FakeOperation, ms: number): void;
  /** The next call of `operation` never gets an answer (until `close`). */
  hangNext(operation: FakeOperation): void;
  /** The next call of `operation` is carried out, but its answer is never sent; `onHeld` runs once it is done. */
  holdResponseNext(operation: FakeOperation, onHeld?: () => void): void;
  /** Forgets every fault queued and not yet used. */
  clearFaults(): void;
  /** Puts a batch into `status` now, as if the upstream moved it (writes results on terminal states). */
  advance(id: string, status: BatchStatus): Promise<void>;
  setAutoProgress(on: boolean): void;
  /** Fields merged over the batch's JSON in every later answer (to send odd shapes). */
  overrideBatch(id: string, fields: Record<string, unknown>): void;
  overrideFile(id: string, fields: Record<string, unknown>): void;
  /** Stops answering: 'refuse' closes the listener (ECONNREFUSED), 'reset' accepts then resets. */
  down(mode?: 'refuse' | 'reset'): Promise<void>;
  up(): Promise<void>;
  /** Closes the server and every connection, and deletes the temp dir. */
  close(): Promise<void>;
}

const ROUTES: ReadonlyArray<{ method: string; pattern: RegExp; operation: FakeOperation }> = [
  { method: 'POST', pattern: /^\/files$/, operation: 'uploadFile' },
  { method: 'GET', pattern: /^\/files$/, operation: 'listFiles' },
  { method: 'GET', pattern: /^\/files\/([^/]+)$/, operation: 'retrieveFile' },
  { method: 'DELETE', pattern: /^\/files\/([^/]+)$/, operation: 'deleteFile' },
  { method: 'GET', pattern: /^\/files\/([^/]+)\/content$/, operation: 'fileContent' },
  { method: 'POST', pattern: /^\/batches$/, operation: 'createBatch' },
  { method: 'GET', pattern: /^\/batches$/, operation: 'listBatches' },
  { method: 'GET', pattern: /^\/batches\/([^/]+)$/, operation: 'retrieveBatch' },
  { method: 'POST', pattern: /^\/batches\/([^/]+)\/cancel$/, operation: 'cancelBatch' },
];

const matchRoute = (method: string, path: string): { operation: FakeOperation; id: string | undefined } | null => {
  for (const route of ROUTES) {
    const match = route.method === method ? route.pattern.exec(path) : null;
    if (match !== null) {
      const raw = match[1];
      return { operation: route.operation, id: raw === undefined ? undefined : decodeURIComponent(raw) };
    }
  }
  return null;
};

const defaultFailMessage = (status: number): string => {
  if (status === 429) return 'Rate limit reached for requests. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request. Sorry about that!';
  return `Injected failure (HTTP ${status}).`;
};

/** OpenAI masks the rejected key in its 401 message: first and last characters only. */
const maskKey = (key: string): string => (key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`);

export const startFakeUpstream = async (options: FakeUpstreamOptions): Promise<FakeUpstream> => {
  const { flavor, apiKey } = options;
  const azureStyle = options.azureStyle ?? 'classic';
  const apiVersions = options.apiVersions ?? DEFAULT_AZURE_API_VERSIONS;
  const wire: WireContext = { flavor, azureStyle, quirks: options.azureQuirks ?? {} };
  const prefix = flavor === 'openai' ? '/v1' : azureStyle === 'classic' ? '/openai' : '/openai/v1';

  const dir = await mkdtemp(join(tmpdir(), `batchgate-fake-${flavor}-`));
  const now = (): number => Math.floor(Date.now() / 1000);
  const files = new FakeFileStore(dir, () => (flavor === 'openai' ? randomId('file-') : `file-${randomUUID().replace(/-/g, '')}`), now);
  const runner = new FakeBatchRunner(files, now);
  const faults = new FaultQueue();
  const requests: RecordedRequest[] = [];
  const locks = new Map<string, Promise<unknown>>();

  const state: FakeState = {
    wire,
    files,
    runner,
    fileOverrides: new Map(),
    batchOverrides: new Map(),
    autoProgress: options.autoProgress ?? true,
    newBatchId: () => (flavor === 'openai' ? randomId('batch_') : `batch_${randomUUID()}`),
    withLock: <T>(id: string, fn: () => Promise<T>): Promise<T> => {
      const run = (locks.get(id) ?? Promise.resolve()).then(fn, fn);
      locks.set(id, run.catch(() => undefined));
      return run;
    },
  };

  /** 401 unless the request carries the key the way this flavour wants it. */
  const authError = (req: IncomingMessage): unknown => {
    const authorization = req.headers.authorization;
    if (flavor === 'azure') {
      // Azure takes the key as `api-key`, or an Entra ID token as Bearer (wire.md §3.2).
      const ok = req.headers['api-key'] === apiKey || authorization === `Bearer ${apiKey}`;
      return ok ? null : AZURE_ACCESS_DENIED;
    }
    if (authorization === `Bearer ${apiKey}`) return null;
    if (authorization === undefined || !authorization.startsWith('Bearer ')) {
      return errorEnvelope(wire, 401, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      });
    }
    return errorEnvelope(wire, 401, {
      message: `Incorrect API key provided: ${maskKey(authorization.slice('Bearer '.length))}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      code: 'invalid_api_key',
    });
  };

  /** Azure answers unknown paths and missing or unknown api-versions from its gateway (wire.md §3.3). */
  const versionAccepted = (url: URL): boolean => {
    if (flavor !== 'azure') return true;
    const version = url.searchParams.get('api-version');
    return azureStyle === 'classic' ? version !== null && apiVersions.includes(version) : version === null || AZURE_V1_VERSIONS.includes(version);
  };

  const notFound = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    await drain(req);
    const body =
      flavor === 'azure'
        ? AZURE_RESOURCE_NOT_FOUND
        : errorEnvelope(wire, 404, { message: `Invalid URL (${req.method ?? 'GET'} ${url.pathname})` });
    sendBody(res, flavor, 404, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: headerRecord(req) });
    const route = url.pathname.startsWith(`${prefix}/`) ? matchRoute(req.method ?? 'GET', url.pathname.slice(prefix.length)) : null;
    if (route === null || !versionAccepted(url)) return notFound(req, res, url);
    const denied = authError(req);
    if (denied !== null) {
      await drain(req);
      return sendBody(res, flavor, 401, denied);
    }
    const ex: Exchange = { req, res, url, id: route.id };
    const fault = faults.take(route.operation);
    if (fault?.kind === 'hang') return drain(req);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    if (fault?.kind === 'fail') {
      await drain(req);
      const { status, body, headers } = fault.spec;
      return sendBody(res, flavor, status, body ?? errorEnvelope(wire, status, { message: defaultFailMessage(status) }), headers);
    }
    if (fault?.kind === 'hold-response') {
      // Do the work, then swallow the answer: the caller waits as if the response were lost.
      const held = Object.create(res, {
        writeHead: { value: () => held },
        setHeader: { value: () => held },
        write: { value: () => true },
        end: { value: () => held },
      }) as ServerResponse;
      await HANDLERS[route.operation](state, { ...ex, res: held });
      fault.onHeld?.();
      return;
    }
    await HANDLERS[route.operation](state, ex);
  };

  const sockets = new Set<Socket>();
  let resetting = false;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      sendError(state, { req, res, url: new URL('http://127.0.0.1'), id: undefined }, 500, { message: `Fake upstream error: ${message}` });
    });
  });
  // Large uploads take their time; the client's timeouts are what tests exercise.
  server.requestTimeout = 0;
  server.on('connection', (socket) => {
    if (resetting) {
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (server.listening) server.close(() => resolve());
      else resolve();
      // Hung and keep-alive connections would keep `close` waiting forever.
      for (const socket of sockets) socket.destroy();
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  const fileOrThrow = (id: string): FakeFile => {
    const file = files.files.get(id);
    if (file === undefined) throw new Error(`fake ${flavor} upstream has no file ${id}`);
    return file;
  };
  const batchOrThrow = (id: string): FakeBatch => {
    const batch = runner.batches.get(id);
    if (batch === undefined) throw new Error(`fake ${flavor} upstream has no batch ${id}`);
    return batch;
  };

  return {
    baseUrl: flavor === 'openai' ? `${origin}/v1` : origin,
    port,
    flavor,
    requests,
    files: files.files,
    batches: runner.batches,
    fileSha256: (id) => fileOrThrow(id).sha256,
    fileModels: (id) => [...fileOrThrow(id).models].sort(),
    failNext: (operation, spec) => faults.fail(operation, spec),
    delayNext: (operation, ms) => faults.delay(operation, ms),
    hangNext: (operation) => faults.hang(operation),
    holdResponseNext: (operation, onHeld) => faults.holdResponse(operation, onHeld),
    clearFaults: () => faults.clear(),
    advance: (id, status) => {
      const batch = batchOrThrow(id);
      return state.withLock(id, () => runner.enter(batch, status));
    },
    setAutoProgress: (on) => {
      state.autoProgress = on;
    },
    overrideBatch: (id, fields) => {
      state.batchOverrides.set(id, { ...state.batchOverrides.get(id), ...fields });
    },
    overrideFile: (id, fields) => {
      state.fileOverrides.set(id, { ...state.fileOverrides.get(id), ...fields });
    },
    down: async (mode = 'refuse') => {
      if (mode === 'reset') {
        resetting = true;
        for (const socket of sockets) socket.resetAndDestroy();
        return;
      }
      await stopListening();
    },
    up: async () => {
      resetting = false;
      if (!server.listening) await listen(port);
    },
    close: async () => {
      resetting = false;
      await stopListening();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
