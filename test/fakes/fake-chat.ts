/**
 * A fake OpenAI-compatible inference server for tests: the upstream that a gateway-executed batch
 * sends its lines to (what vLLM, Ollama, llama.cpp or OpenAI itself would be). It is a real HTTP
 * server on 127.0.0.1 that answers `POST /v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings` and `/v1/responses` in OpenAI's wire format (`reference/openai-openapi.yaml`:
 * CreateChatCompletionResponse, CreateCompletionResponse, CreateEmbeddingResponse, Response, and
 * the `{"error":{message,type,param,code}}` envelope of `reference/wire.md` §1.8).
 *
 * Answers are deterministic and derived from the request, so a test can tell which output belongs
 * to which request: the chat answer is `"echo: " + <text of the last user message>`, usage counts
 * words (at least 1), an embedding is a unit vector hashed from its input. Request number `n`
 * (1-based, in arrival order) is answered with `x-request-id: req_<n>` and ids such as
 * `chatcmpl-<n>`, `cmpl-<n>` or `resp_<n>`. The fake never streams: `stream: true` is a 400.
 *
 * Tests inject latency (fixed or a seeded random range) and faults by rule (which requests: a
 * predicate, the next n, the first n attempts of each distinct request, a seeded probability; what
 * happens: an error status, a reset socket, a hang, a slow answer), and read back a log of every
 * request with its attempt number and what it was answered with.
 *
 * @example
 *   const chat = await startFakeChat({ apiKey: 'sk-test' });
 *   // deployment params: { api_base: chat.url, api_key: 'sk-test' }
 *   chat.setFault({ firstAttempts: 2, action: { status: 429, retryAfterSeconds: 1 } });
 *   // … run the batch …
 *   expect(chat.duplicates()).toEqual([]);
 *   await chat.close();
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { headerRecord, readText, sendBody } from './fake-http.js';
import { errorEnvelope, type ErrorInit, type WireContext } from './fake-wire.js';

/** The four inference routes, relative to the `/v1` base. */
export type FakeChatRoute = '/chat/completions' | '/completions' | '/embeddings' | '/responses';
export const FAKE_CHAT_ROUTES: readonly FakeChatRoute[] = ['/chat/completions', '/completions', '/embeddings', '/responses'];

type JsonObject = Record<string, unknown>;

/** One request as received. Fields after `headers` are filled in as the request is handled. */
export interface FakeChatRequest {
  /** 1-based arrival number; the answer's `x-request-id` is `req_<seq>`. */
  readonly seq: number;
  readonly requestId: string;
  readonly method: string;
  /** Full URL path, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** The inference route, or null for any other path. */
  readonly route: FakeChatRoute | null;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** `Date.now()` when the request arrived. */
  readonly at: number;
  /** The parsed JSON body; null until read, or when it is not a JSON object (or was never checked: 404, 405, 401). */
  readonly body: JsonObject | null;
  /** `keyOf(body)`; null when there is no JSON body. */
  readonly key: string | null;
  /** 1-based count of requests with this key so far (this one included); 0 when `key` is null. */
  readonly attempt: number;
  /**
   * null while in flight; the HTTP status sent; `'reset'` / `'hang'` for those faults; `'aborted'`
   * when no answer was written because the client went away first or `close()` ended the request.
   */
  readonly answeredWith: number | 'reset' | 'hang' | 'aborted' | null;
}

/** Statuses a fault can answer with. */
export type FaultStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 | 502 | 503 | 504;

/** What a fault does to the request it takes. */
export type FaultAction =
  /** Answer this status; `body` defaults to an OpenAI error envelope for the status. */
  | {
      readonly status: FaultStatus;
      readonly body?: unknown;
      /** Sets `Retry-After: <seconds>`. */
      readonly retryAfterSeconds?: number;
      /** Sets `retry-after-ms`, which OpenAI also sends. */
      readonly retryAfterMs?: number;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Destroy the socket with a TCP reset and no answer (the client sees ECONNRESET). */
  | 'reset'
  /** Never answer; the request stays in flight until the client gives up or `close()`. */
  | 'hang'
  /** Wait this long (on top of the latency), then answer normally. */
  | { readonly slowMs: number };

/**
 * Which requests a fault takes, and what it does. Every criterion given must hold (AND); with
 * none, the rule takes every request. Rules only see authenticated requests to the four routes
 * with a JSON-object body, before validation. With several rules, the first one added that
 * matches takes the request; the others do not see it (their `next` budgets and RNGs are untouched).
 */
export interface FaultRule {
  readonly route?: FakeChatRoute;
  readonly when?: (request: FakeChatRequest) => boolean;
  /** Take requests while their attempt number (per key) is at most this: "fail the first n attempts, then succeed". */
  readonly firstAttempts?: number;
  /** Take only the next n requests that match the other criteria, then stop. */
  readonly next?: number;
  /** Take each matching request with this probability, drawn from an RNG seeded by `seed` (default 1). */
  readonly probability?: number;
  readonly seed?: number;
  readonly action: FaultAction;
}

export interface FaultHandle {
  /** How many requests this rule has taken. */
  readonly hits: number;
  remove(): void;
}

/** A fixed delay in ms, or an inclusive `[min, max]` range drawn per request; null or 0 for none. */
export type LatencySpec = number | readonly [min: number, max: number] | null;

export interface FakeChatOptions {
  /** When set, `Authorization: Bearer <apiKey>` is required (else 401 `invalid_api_key`). */
  readonly apiKey?: string;
  /** Identifies "the same request" across retries (default `defaultKeyOf`). */
  readonly keyOf?: (body: JsonObject, route: FakeChatRoute) => string;
  readonly latency?: LatencySpec;
  /** Seed of the latency range's RNG (default 1). */
  readonly seed?: number;
}

export interface FakeChat {
  /** What a deployment's `api_base` is set to: `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order (live: entries fill in as requests are handled). */
  readonly log: readonly FakeChatRequest[];
  /** Requests being handled now (hung ones included). */
  readonly inFlight: number;
  /** Highest `inFlight` seen since start or the last `clearLog()`. */
  readonly maxConcurrent: number;
  setFault(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  /** Delay before every later request is answered (any route or outcome); drawn per request from a seeded RNG. */
  setLatency(latency: LatencySpec): void;
  /** Logged requests with this key, in arrival order. */
  requestsFor(key: string): FakeChatRequest[];
  /** Keys answered with a 2xx more than once (what a crash or retry test expects to be empty). */
  duplicates(): string[];
  /** How many logged requests carried each value of a header (any case; requests without it are not counted). */
  countByHeader(name: string): Map<string, number>;
  /** Forgets the log and the attempt counts; `maxConcurrent` restarts from `inFlight`. */
  clearLog(): void;
  /** Ends hung and waiting requests, closes every connection and frees the port. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Deterministic content

/** The fake's token count: whitespace-separated words, at least 1. */
export const fakeTokenCount = (text: string): number => Math.max(1, text.split(/\s+/).filter((w) => w !== '').length);

export const FAKE_EMBEDDING_DIMENSIONS = 8;

/** A unit vector of `dimensions` floats hashed from `text` (what `/embeddings` answers for it). */
export const fakeEmbedding = (text: string, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] => {
  const raw: number[] = [];
  for (let block = 0; raw.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 1 < digest.length && raw.length < dimensions; i += 2) raw.push(digest.readUInt16BE(i) / 32767.5 - 1);
  }
  const norm = Math.hypot(...raw) || 1;
  // Rounded through float32, so the float and base64 encodings carry the same numbers.
  return raw.map((v) => Math.fround(v / norm));
};

/** A message's or input item's text: a string, or the `text` of its text parts joined. */
const contentText = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isObject(part) && typeof part['text'] === 'string' ? part['text'] : ''))
    .filter((t) => t !== '')
    .join('\n');
};

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const lastUserText = (items: unknown): string | undefined => {
  if (!Array.isArray(items)) return undefined;
  const user = items.findLast((m: unknown) => isObject(m) && m['role'] === 'user');
  return isObject(user) ? contentText(user['content']) : undefined;
};

/** Each input of a prompt / embeddings `input`: strings as they are, token arrays as JSON. */
const inputTexts = (input: unknown): string[] => {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((x) => typeof x === 'string')) return input as string[];
  if (Array.isArray(input) && input.every((x) => Array.isArray(x))) return input.map((x) => JSON.stringify(x));
  return [JSON.stringify(input)];
};

/** The text a request is about: chat's last user message, the prompt, the input, the responses input. */
export const requestText = (body: JsonObject, route: FakeChatRoute): string | undefined => {
  switch (route) {
    case '/chat/completions':
      return lastUserText(body['messages']);
    case '/completions':
      return body['prompt'] === undefined ? undefined : inputTexts(body['prompt']).join('\n');
    case '/embeddings':
      return body['input'] === undefined ? undefined : inputTexts(body['input']).join('\n');
    case '/responses':
      return typeof body['input'] === 'string' ? body['input'] : lastUserText(body['input']);
  }
};

/** Default request key: `requestText`, or the body's JSON when it has none. */
export const defaultKeyOf = (body: JsonObject, route: FakeChatRoute): string => requestText(body, route) ?? JSON.stringify(body);

// ---------------------------------------------------------------------------------------------
// Wire shapes

const WIRE: WireContext = { flavor: 'openai', azureStyle: 'classic', quirks: {} };
const envelope = (status: number, init: ErrorInit): unknown => errorEnvelope(WIRE, status, init);

class InvalidRequest extends Error {
  constructor(
    readonly param: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const kindOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

const required = (body: JsonObject, param: string): unknown => {
  const value = body[param];
  if (value === undefined) throw new InvalidRequest(param, 'missing_required_parameter', `Missing required parameter: '${param}'.`);
  return value;
};
const invalidType = (param: string, expected: string, value: unknown): InvalidRequest =>
  new InvalidRequest(param, 'invalid_type', `Invalid type for '${param}': expected ${expected}, but got ${kindOf(value)} instead.`);
const emptyArray = (param: string): InvalidRequest =>
  new InvalidRequest(param, 'empty_array', `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`);

/** A string, or a non-empty array of strings, of integers (tokens) or of integer arrays. */
const checkTextInput = (param: string, value: unknown): void => {
  if (typeof value === 'string') return;
  const expected = 'a string or an array of strings or token arrays';
  if (!Array.isArray(value)) throw invalidType(param, expected, value);
  if (value.length === 0) throw emptyArray(param);
  const isTokens = (x: unknown): boolean => Array.isArray(x) && x.every((t) => Number.isInteger(t));
  if (!(value.every((x) => typeof x === 'string') || isTokens(value) || value.every(isTokens))) throw invalidType(param, expected, value);
};

const validate = (body: JsonObject, route: FakeChatRoute): void => {
  const model = required(body, 'model');
  if (typeof model !== 'string') throw invalidType('model', 'a string', model);
  if (body['stream'] === true) {
    throw new InvalidRequest('stream', 'unsupported_value', "Unsupported value: 'stream' is not supported by this fake server, which only answers non-streaming requests.");
  }
  if (route === '/chat/completions') {
    const messages = required(body, 'messages');
    if (!Array.isArray(messages)) throw invalidType('messages', 'an array of objects', messages);
    if (messages.length === 0) throw emptyArray('messages');
    messages.forEach((m: unknown, i) => {
      if (!isObject(m)) throw invalidType(`messages[${i}]`, 'an object', m);
      if (typeof m['role'] !== 'string') throw new InvalidRequest(`messages[${i}].role`, 'missing_required_parameter', `Missing required parameter: 'messages[${i}].role'.`);
    });
  } else if (route === '/completions') {
    checkTextInput('prompt', required(body, 'prompt'));
  } else if (route === '/embeddings') {
    checkTextInput('input', required(body, 'input'));
    const format = body['encoding_format'];
    if (format !== undefined && format !== 'float' && format !== 'base64') {
      throw new InvalidRequest('encoding_format', 'invalid_value', `Invalid value for 'encoding_format': expected 'float' or 'base64', got ${JSON.stringify(format)}.`);
    }
  } else {
    const input = required(body, 'input');
    if (typeof input !== 'string' && !Array.isArray(input)) throw invalidType('input', 'a string or an array of input items', input);
  }
};

const chatUsage = (prompt: number, completion: number): JsonObject => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
});

/** The 200 answer of request `seq`; `body` has been validated. */
const answer = (route: FakeChatRoute, body: JsonObject, seq: number): JsonObject => {
  const model = body['model'] as string;
  const created = Math.floor(Date.now() / 1000);
  switch (route) {
    case '/chat/completions': {
      const messages = body['messages'] as JsonObject[];
      const content = `echo: ${lastUserText(messages) ?? ''}`;
      const promptTokens = fakeTokenCount(messages.map((m) => contentText(m['content'])).join(' '));
      return {
        id: `chatcmpl-${seq}`,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
        usage: chatUsage(promptTokens, fakeTokenCount(content)),
        service_tier: 'default',
        system_fingerprint: 'fp_fakechat',
      };
    }
    case '/completions': {
      // One choice per prompt, as OpenAI answers an array of prompts.
      const prompts = inputTexts(body['prompt']);
      const texts = prompts.map((p) => `echo: ${p}`);
      return {
        id: `cmpl-${seq}`,
        object: 'text_completion',
        created,
        model,
        choices: texts.map((text, index) => ({ text, index, logprobs: null, finish_reason: 'stop' })),
        usage: chatUsage(fakeTokenCount(prompts.join(' ')), fakeTokenCount(texts.join(' '))),
        system_fingerprint: 'fp_fakechat',
      };
    }
    case '/embeddings': {
      const inputs = inputTexts(body['input']);
      const asked = body['dimensions'];
      const dimensions = Number.isInteger(asked) && (asked as number) > 0 ? Math.min(asked as number, 4096) : FAKE_EMBEDDING_DIMENSIONS;
      const base64 = body['encoding_format'] === 'base64';
      const tokens = fakeTokenCount(inputs.join(' '));
      return {
        object: 'list',
        data: inputs.map((text, index) => {
          const vector = fakeEmbedding(text, dimensions);
          return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
        }),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    }
    case '/responses': {
      const text = `echo: ${requestText(body, route) ?? ''}`;
      const input = body['input'];
      const inputText = typeof input === 'string' ? input : (input as unknown[]).map((item) => (isObject(item) ? contentText(item['content']) : '')).join(' ');
      const inputTokens = fakeTokenCount(`${typeof body['instructions'] === 'string' ? body['instructions'] : ''} ${inputText}`);
      const outputTokens = fakeTokenCount(text);
      const given = (name: string, fallback: unknown): unknown => body[name] ?? fallback;
      return {
        id: `resp_${seq}`,
        object: 'response',
        created_at: created,
        status: 'completed',
        completed_at: created,
        error: null,
        incomplete_details: null,
        instructions: given('instructions', null),
        max_output_tokens: given('max_output_tokens', null),
        model,
        output: [
          {
            type: 'message',
            id: `msg_${seq}`,
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
          },
        ],
        parallel_tool_calls: given('parallel_tool_calls', true),
        previous_response_id: given('previous_response_id', null),
        reasoning: { effort: null, summary: null },
        service_tier: 'default',
        store: given('store', true),
        temperature: given('temperature', 1),
        text: given('text', { format: { type: 'text' } }),
        tool_choice: given('tool_choice', 'auto'),
        tools: given('tools', []),
        top_p: given('top_p', 1),
        truncation: given('truncation', 'disabled'),
        usage: {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + outputTokens,
        },
        metadata: given('metadata', {}),
        // `user` is a plain string in the schema: sent back only when the request had one.
        ...(typeof body['user'] === 'string' ? { user: body['user'] } : {}),
      };
    }
  }
};

const faultBody = (status: FaultStatus, body: JsonObject): unknown => {
  if (status === 401) return envelope(401, { message: 'Incorrect API key provided.', code: 'invalid_api_key' });
  if (status === 404) {
    return envelope(404, { message: `The model \`${String(body['model'])}\` does not exist or you do not have access to it.`, code: 'model_not_found' });
  }
  if (status === 429) return envelope(429, { message: 'Rate limit reached for requests. Please try again later.', type: 'requests', code: 'rate_limit_exceeded' });
  if (status >= 500) return envelope(status, { message: 'The server had an error while processing your request. Sorry about that!' });
  return envelope(status, { message: `Injected failure (HTTP ${status}).` });
};

const NOT_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

// ---------------------------------------------------------------------------------------------
// Server

/** mulberry32: a small seeded PRNG, so random latency and probability faults repeat run to run. */
const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

type Entry = { -readonly [K in keyof FakeChatRequest]: FakeChatRequest[K] };
interface ActiveRule {
  readonly rule: FaultRule;
  readonly random: () => number;
  remaining: number;
  hits: number;
}

const checkLatency = (latency: LatencySpec): void => {
  const values = latency === null ? [] : typeof latency === 'number' ? [latency] : [...latency];
  if (values.some((v) => !Number.isFinite(v) || v < 0) || (Array.isArray(latency) && latency[0] > latency[1])) {
    throw new Error(`fake chat: bad latency ${JSON.stringify(latency)}`);
  }
};

const BODY_LIMIT = 64 * 1024 * 1024;

export const startFakeChat = async (options: FakeChatOptions = {}): Promise<FakeChat> => {
  const { apiKey } = options;
  const keyOf = options.keyOf ?? defaultKeyOf;
  const latencyRandom = seededRandom(options.seed ?? 1);
  let latency: LatencySpec = options.latency ?? null;
  checkLatency(latency);

  let log: Entry[] = [];
  let attempts = new Map<string, number>();
  let rules: ActiveRule[] = [];
  let seq = 0;
  let inFlight = 0;
  let maxConcurrent = 0;
  let closed = false;
  const sockets = new Set<Socket>();
  /** Pending waits, so `close()` can end them and leave no timer behind. */
  const waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  const pause = (ms: number): Promise<void> => {
    if (ms <= 0 || closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          waits.delete(wait);
          resolve();
        }, ms),
        resolve,
      };
      waits.add(wait);
    });
  };

  const drawLatency = (): number => {
    if (latency === null) return 0;
    if (typeof latency === 'number') return latency;
    const [min, max] = latency;
    return min + Math.floor(latencyRandom() * (max - min + 1));
  };

  const send = (res: ServerResponse, entry: Entry, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
    // A client that left gets nothing; the 'close' listener marks the entry 'aborted'.
    if (res.destroyed || res.headersSent) return;
    entry.answeredWith = status;
    sendBody(res, 'openai', status, body, { ...headers, 'x-request-id': entry.requestId });
  };

  const authError = (req: IncomingMessage): unknown => {
    const authorization = req.headers.authorization;
    if (apiKey === undefined || authorization === `Bearer ${apiKey}`) return null;
    if (authorization === undefined || !authorization.startsWith('Bearer ')) {
      return envelope(401, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      });
    }
    return envelope(401, { message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.', code: 'invalid_api_key' });
  };

  /** The first live rule that takes this request (counting its hit and spending its budget). */
  const takeFault = (entry: Entry): FaultAction | undefined => {
    for (const active of rules) {
      const { rule } = active;
      if (active.remaining <= 0) continue;
      if (rule.route !== undefined && rule.route !== entry.route) continue;
      if (rule.firstAttempts !== undefined && entry.attempt > rule.firstAttempts) continue;
      if (rule.when !== undefined && !rule.when(entry)) continue;
      if (rule.probability !== undefined && !(active.random() < rule.probability)) continue;
      active.remaining--;
      active.hits++;
      return rule.action;
    }
    return undefined;
  };

  /** Logs a request as it arrives and counts it in flight until its response closes. */
  const arrive = (req: IncomingMessage, res: ServerResponse): Entry => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const sub = path.startsWith('/v1/') ? path.slice('/v1'.length) : null;
    seq += 1;
    const entry: Entry = {
      seq,
      requestId: `req_${seq}`,
      method: req.method ?? 'GET',
      path,
      route: FAKE_CHAT_ROUTES.find((r) => r === sub) ?? null,
      headers: headerRecord(req),
      at: Date.now(),
      body: null,
      key: null,
      attempt: 0,
      answeredWith: null,
    };
    log.push(entry);
    inFlight += 1;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    res.once('close', () => {
      inFlight -= 1;
      if (entry.answeredWith === null) entry.answeredWith = 'aborted';
    });
    return entry;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: Entry): Promise<void> => {
    const text = await readText(req, BODY_LIMIT);
    await pause(drawLatency());
    if (closed) return;

    const { route, method, path } = entry;
    if (route === null) return send(res, entry, 404, envelope(404, { message: `Invalid URL (${method} ${path})` }));
    if (method !== 'POST') return send(res, entry, 405, envelope(405, { message: `Invalid method for URL (${method} ${path})` }), { allow: 'POST' });
    const denied = authError(req);
    if (denied !== null) return send(res, entry, 401, denied);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return send(res, entry, 400, envelope(400, { message: NOT_JSON }));
    }
    if (!isObject(parsed)) return send(res, entry, 400, envelope(400, { message: `Invalid type for '$': expected an object, but got ${kindOf(parsed)} instead.`, code: 'invalid_type' }));

    const body = parsed;
    const key = keyOf(body, route);
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    Object.assign(entry, { body, key, attempt });

    const fault = takeFault(entry);
    if (fault === 'reset') {
      entry.answeredWith = 'reset';
      req.socket.resetAndDestroy();
      return;
    }
    if (fault === 'hang') {
      entry.answeredWith = 'hang';
      return;
    }
    if (fault !== undefined && 'slowMs' in fault) {
      await pause(fault.slowMs);
      if (closed) return;
    } else if (fault !== undefined) {
      const headers: Record<string, string> = { ...fault.headers };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      return send(res, entry, fault.status, fault.body ?? faultBody(fault.status, body), headers);
    }

    try {
      validate(body, route);
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      return send(res, entry, 400, envelope(400, { message: error.message, param: error.param, code: error.code }));
    }
    send(res, entry, 200, answer(route, body, entry.seq));
  };

  const server = createServer((req, res) => {
    const entry = arrive(req, res);
    // A bug here (or a throwing keyOf / when) is a 500, not a silent hang.
    handle(req, res, entry).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      send(res, entry, 500, envelope(500, { message: `Fake chat server error: ${message}` }));
    });
  });
  server.requestTimeout = 0;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    get log() {
      return log;
    },
    get inFlight() {
      return inFlight;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    setFault: (rule) => {
      for (const [name, value] of [['next', rule.next], ['firstAttempts', rule.firstAttempts]] as const) {
        if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new Error(`fake chat: ${name} must be a whole number, got ${value}`);
      }
      if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) throw new Error(`fake chat: probability must be in [0, 1], got ${rule.probability}`);
      const active: ActiveRule = { rule, random: seededRandom(rule.seed ?? 1), remaining: rule.next ?? Infinity, hits: 0 };
      rules.push(active);
      return {
        get hits() {
          return active.hits;
        },
        remove: () => {
          rules = rules.filter((r) => r !== active);
        },
      };
    },
    clearFaults: () => {
      rules = [];
    },
    setLatency: (next) => {
      checkLatency(next);
      latency = next;
    },
    requestsFor: (key) => log.filter((e) => e.key === key),
    duplicates: () => {
      const successes = new Map<string, number>();
      for (const e of log) {
        if (e.key !== null && typeof e.answeredWith === 'number' && e.answeredWith >= 200 && e.answeredWith < 300) {
          successes.set(e.key, (successes.get(e.key) ?? 0) + 1);
        }
      }
      return [...successes].filter(([, n]) => n > 1).map(([key]) => key);
    },
    countByHeader: (name) => {
      const counts = new Map<string, number>();
      for (const e of log) {
        const value = e.headers[name.toLowerCase()];
        if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
      }
      return counts;
    },
    clearLog: () => {
      log = [];
      attempts = new Map();
      maxConcurrent = inFlight;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const wait of waits) {
        clearTimeout(wait.timer);
        wait.resolve();
      }
      waits.clear();
      for (const entry of log) if (entry.answeredWith === null) entry.answeredWith = 'aborted';
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hung and keep-alive connections would keep `server.close` waiting forever.
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
};
