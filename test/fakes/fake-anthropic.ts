/**
 * A fake Anthropic Message Batches API (`reference/wire.md` §6), on 127.0.0.1, for tests.
 *
 * It checks what the real API checks at the door: `x-api-key` (401 `authentication_error`),
 * `anthropic-version` (400), a JSON body with 1–100,000 requests, each `custom_id` matching
 * `^[a-zA-Z0-9_-]{1,64}$` and unique, each `params` a non-streaming Messages request with a
 * `model`, an integer `max_tokens` ≥ 1 and non-empty `messages` (400 `invalid_request_error`).
 * Batches are driven by the test — `finish(id, …)` ends one with results, `autoRun` ends each on
 * its second read — and the results stream from `results_url` as JSONL in an order of their own.
 *
 *   const fake = await startFakeAnthropic({ apiKey: 'sk-ant-test', autoRun: true });
 *   // deployment params: { api_key: 'sk-ant-test', api_base: fake.url }
 *   fake.batches()          // what was created (requests as received)
 *   await fake.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readText } from './fake-http.js';

export const FAKE_ANTHROPIC_VERSION = '2023-06-01';

type Json = Record<string, any>;

export interface FakeAnthropicRequest {
  readonly custom_id: string;
  readonly params: Json;
}

/** What a request's result becomes when its batch ends. */
export type FakeAnthropicOutcome =
  | { readonly type: 'succeeded' }
  | { readonly type: 'errored'; readonly errorType: string; readonly message: string }
  | { readonly type: 'canceled' }
  | { readonly type: 'expired' };

export interface FakeAnthropicBatch {
  readonly id: string;
  readonly requests: readonly FakeAnthropicRequest[];
  status: 'in_progress' | 'canceling' | 'ended';
  readonly createdAt: Date;
  endedAt: Date | null;
  cancelInitiatedAt: Date | null;
  results: Array<{ custom_id: string; result: Json }> | null;
  reads: number;
}

export interface FakeAnthropicOptions {
  readonly apiKey: string;
  /** A batch ends (all succeeded, unless `outcome` says otherwise) on its second read. */
  readonly autoRun?: boolean;
  /** The outcome of each request when a batch ends on its own; default succeeded. */
  readonly outcome?: (request: FakeAnthropicRequest) => FakeAnthropicOutcome;
}

export interface FakeAnthropic {
  readonly url: string;
  batches(): readonly FakeAnthropicBatch[];
  /** Ends a batch with results (`outcome` per request, default: the options' outcome, else succeeded). */
  finish(id: string, outcome?: (request: FakeAnthropicRequest) => FakeAnthropicOutcome): void;
  /** Answers the next `count` calls with this status and an Anthropic error body. */
  failNext(count: number, status: number, type: string): void;
  close(): Promise<void>;
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(12).toString('hex')}`, 'content-length': Buffer.byteLength(text) });
  res.end(text);
};
const error = (res: ServerResponse, status: number, type: string, message: string): void =>
  send(res, status, { type: 'error', error: { type, message } });

const lastUserText = (params: Json): string => {
  const messages = (params['messages'] as Json[]).filter((m) => m['role'] === 'user');
  const content = messages[messages.length - 1]?.['content'];
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((b: Json) => b['type'] === 'text').map((b: Json) => b['text']).join(' ');
  return '';
};

function resultOf(request: FakeAnthropicRequest, outcome: FakeAnthropicOutcome): Json {
  switch (outcome.type) {
    case 'succeeded': {
      const text = `echo: ${lastUserText(request.params)}`;
      return {
        type: 'succeeded',
        message: {
          id: `msg_${randomBytes(12).toString('hex')}`,
          type: 'message',
          role: 'assistant',
          model: request.params['model'],
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: text.split(' ').length, cache_creation_input_tokens: 0, cache_read_input_tokens: 2, service_tier: 'batch' },
        },
      };
    }
    case 'errored':
      return { type: 'errored', error: { type: 'error', error: { type: outcome.errorType, message: outcome.message }, request_id: `req_${randomBytes(8).toString('hex')}` } };
    default:
      return { type: outcome.type };
  }
}

/** Why a create body is refused, as the real API words it closely enough, or null. */
function invalid(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as Json)['requests'])) return 'requests: Field required';
  const requests = (body as Json)['requests'] as unknown[];
  if (requests.length < 1 || requests.length > 100_000) return 'requests: must have between 1 and 100000 items';
  const seen = new Set<string>();
  for (const [i, r] of requests.entries()) {
    const req = r as Json;
    if (typeof req['custom_id'] !== 'string' || !CUSTOM_ID.test(req['custom_id'])) return `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
    if (seen.has(req['custom_id'])) return `requests: custom_id '${req['custom_id']}' is not unique`;
    seen.add(req['custom_id']);
    const p = req['params'] as Json | undefined;
    if (typeof p !== 'object' || p === null) return `requests.${i}.params: Field required`;
    if (typeof p['model'] !== 'string') return `requests.${i}.params.model: Field required`;
    if (!Number.isInteger(p['max_tokens']) || p['max_tokens'] < 1) return `requests.${i}.params.max_tokens: Field required`;
    if (!Array.isArray(p['messages']) || p['messages'].length === 0) return `requests.${i}.params.messages: Field required`;
    if (p['stream'] === true) return `requests.${i}.params.stream: streaming is not supported in batches`;
    if ('model' in req || 'messages' in req) return `requests.${i}: Extra inputs are not permitted`;
  }
  return null;
}

export async function startFakeAnthropic(options: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const batches = new Map<string, FakeAnthropicBatch>();
  let failures: { count: number; status: number; type: string } = { count: 0, status: 500, type: 'api_error' };
  let url = '';

  const end = (b: FakeAnthropicBatch, outcome: (r: FakeAnthropicRequest) => FakeAnthropicOutcome): void => {
    if (b.status === 'ended') return;
    b.results = b.requests.map((r) => ({ custom_id: r.custom_id, result: resultOf(r, b.cancelInitiatedAt === null ? outcome(r) : { type: 'canceled' }) }));
    // Arbitrary order, as the real API promises none: reversed.
    b.results.reverse();
    b.status = 'ended';
    b.endedAt = new Date();
  };
  const defaultOutcome = (r: FakeAnthropicRequest): FakeAnthropicOutcome => options.outcome?.(r) ?? { type: 'succeeded' };

  const view = (b: FakeAnthropicBatch): Json => {
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (b.status === 'ended') for (const r of b.results ?? []) counts[r.result['type'] as keyof typeof counts] += 1;
    else counts.processing = b.requests.length;
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: b.status,
      request_counts: counts,
      created_at: iso(b.createdAt),
      expires_at: iso(new Date(b.createdAt.getTime() + 86_400_000)),
      ended_at: iso(b.endedAt),
      cancel_initiated_at: iso(b.cancelInitiatedAt),
      archived_at: null,
      results_url: b.status === 'ended' ? `${url}/v1/messages/batches/${b.id}/results` : null,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x');
    if (req.headers['x-api-key'] !== options.apiKey) {
      await readText(req);
      return error(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (req.headers['anthropic-version'] !== FAKE_ANTHROPIC_VERSION) {
      await readText(req);
      return error(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    if (failures.count > 0) {
      failures.count -= 1;
      await readText(req);
      return error(res, failures.status, failures.type, 'injected failure');
    }
    const parts = path.pathname.split('/').filter(Boolean); // v1 messages batches [id] [action]
    if (parts[0] !== 'v1' || parts[1] !== 'messages' || parts[2] !== 'batches') return error(res, 404, 'not_found_error', 'Not found');
    const id = parts[3];
    if (req.method === 'POST' && id === undefined) {
      const text = await readText(req, 512 * 1024 * 1024);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return error(res, 400, 'invalid_request_error', 'body is not valid JSON');
      }
      const problem = invalid(body);
      if (problem !== null) return error(res, 400, 'invalid_request_error', problem);
      const batch: FakeAnthropicBatch = {
        id: `msgbatch_${randomBytes(12).toString('hex')}`,
        requests: (body as Json)['requests'] as FakeAnthropicRequest[],
        status: 'in_progress',
        createdAt: new Date(),
        endedAt: null,
        cancelInitiatedAt: null,
        results: null,
        reads: 0,
      };
      batches.set(batch.id, batch);
      return send(res, 200, view(batch));
    }
    if (req.method === 'GET' && id === undefined) {
      const limit = Math.min(1000, Number(path.searchParams.get('limit') ?? 20));
      const all = [...batches.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      const after = path.searchParams.get('after_id');
      const start = after === null ? 0 : all.findIndex((b) => b.id === after) + 1;
      const page = all.slice(start, start + limit);
      return send(res, 200, { data: page.map(view), has_more: start + limit < all.length, first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null });
    }
    const batch = id === undefined ? undefined : batches.get(id);
    if (batch === undefined) {
      await readText(req);
      return error(res, 404, 'not_found_error', `message batch ${id ?? ''} not found`);
    }
    const action = parts[4];
    if (req.method === 'GET' && action === undefined) {
      batch.reads += 1;
      if (options.autoRun === true && batch.reads >= 2) end(batch, defaultOutcome);
      return send(res, 200, view(batch));
    }
    if (req.method === 'POST' && action === 'cancel') {
      await readText(req);
      if (batch.status === 'in_progress') {
        batch.status = 'canceling';
        batch.cancelInitiatedAt = new Date();
      }
      return send(res, 200, view(batch));
    }
    if (req.method === 'GET' && action === 'results') {
      if (batch.status !== 'ended' || batch.results === null) return error(res, 400, 'invalid_request_error', 'results are not available until the batch has ended');
      res.writeHead(200, { 'content-type': 'application/x-jsonl' });
      for (const r of batch.results) res.write(`${JSON.stringify(r)}\n`);
      res.end();
      return;
    }
    if (req.method === 'DELETE' && action === undefined) {
      if (batch.status !== 'ended') return error(res, 400, 'invalid_request_error', 'a batch can only be deleted once it has ended');
      batches.delete(batch.id);
      return send(res, 200, { id: batch.id, type: 'message_batch_deleted' });
    }
    return error(res, 405, 'invalid_request_error', 'method not allowed');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, 'api_error', String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    batches: () => [...batches.values()],
    finish: (id, outcome) => {
      const b = batches.get(id);
      if (b === undefined) throw new Error(`no fake batch ${id}`);
      end(b, outcome ?? defaultOutcome);
    },
    failNext: (count, status, type) => {
      failures = { count, status, type };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
