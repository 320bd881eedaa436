/**
 * A small HTTP client for tests that look at the gateway's wire answers as a client sees them:
 * plain `fetch`, no SDK smoothing anything over. Every answer is kept (`transcript`) so a suite
 * can check afterwards that no raw upstream id ever appeared in any of them.
 */
import { expect } from 'vitest';
import type { FakeUpstream } from '../fakes/fake-upstream.js';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly json: unknown;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <key>`. */
  readonly key?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as a JSON body. */
  readonly json?: unknown;
  /** Sent as it is (with whatever content-type `headers` says). */
  readonly body?: string | FormData;
}

export interface UploadOptions {
  readonly key?: string;
  readonly content: string | Buffer;
  readonly filename?: string;
  /** Omitted from the form when null. */
  readonly purpose?: string | null;
  /** Extra form fields, sent before the file. */
  readonly fields?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Leave the file part out. */
  readonly noFile?: boolean;
}

/** The four keys of OpenAI's error envelope, all present; a RegExp matches a string value. */
export interface ExpectedError {
  readonly message: string | RegExp;
  readonly type: string;
  readonly param: string | null | RegExp;
  readonly code: string | null | RegExp;
}

const matching = (value: string | null | RegExp): unknown => (value instanceof RegExp ? expect.stringMatching(value) : value);

const headerText = (headers: Headers): string => [...headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n');

/**
 * A `fetch` for the official `openai` client that keeps every answer (headers and body) in
 * `transcript`, so SDK traffic can be checked for leaked upstream ids too.
 */
export const recordingFetch =
  (transcript: string[]): typeof fetch =>
  async (input, init) => {
    const res = await fetch(input, init);
    transcript.push(`${headerText(res.headers)}\n\n${await res.clone().text()}`);
    return res;
  };

/** Every file and batch id the fakes minted (inputs, outputs, error files, batches). */
export const upstreamIdsOf = (fakes: readonly FakeUpstream[]): string[] =>
  fakes.flatMap((fake) => [...fake.files.keys(), ...fake.batches.keys()]);

/** Asserts no upstream id appears in any answer of the transcript (headers included). */
export const expectNoUpstreamIds = (transcript: readonly string[], fakes: readonly FakeUpstream[]): void => {
  const ids = upstreamIdsOf(fakes);
  expect(ids.length, 'the fakes minted no ids: nothing was checked').toBeGreaterThan(0);
  expect(transcript.length, 'no answers were recorded: nothing was checked').toBeGreaterThan(0);
  const leaks = ids.filter((id) => transcript.some((answer) => answer.includes(id)));
  expect(leaks).toEqual([]);
};

export class WireClient {
  /** Every answer received (headers, a blank line, the body), in order. */
  readonly transcript: string[] = [];

  constructor(readonly baseUrl: string) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | FormData | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    this.transcript.push(`${headerText(res.headers)}\n\n${text}`);
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, text, json: type.includes('json') && text !== '' ? (JSON.parse(text) as unknown) : undefined };
  }

  upload(path: string, options: UploadOptions): Promise<Reply> {
    const form = new FormData();
    const purpose = options.purpose === undefined ? 'batch' : options.purpose;
    if (purpose !== null) form.append('purpose', purpose);
    for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
    if (options.noFile !== true) {
      const bytes = typeof options.content === 'string' ? Buffer.from(options.content) : options.content;
      form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), options.filename ?? 'requests.jsonl');
    }
    return this.call('POST', path, {
      body: form,
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
  }
}

/** A batch input file of `n` chat-completion requests to `model`. */
export const jsonl = (model: string, n: number, prefix = 'req'): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `${prefix}-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model, messages: [{ role: 'user', content: `hello ${i}` }] },
    }),
  ).join('\n') + '\n';

/** The reply's JSON as a record; fails the test when it is not one. */
export const bodyOf = (reply: Reply): Record<string, unknown> => {
  const { json } = reply;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`expected a JSON object, got HTTP ${reply.status}: ${reply.text.slice(0, 500)}`);
  }
  return json as Record<string, unknown>;
};

/** The `id` of a successful answer, failing with the answer's text otherwise. */
export const idOf = (reply: Reply): string => {
  if (reply.status !== 200) throw new Error(`expected 200, got ${reply.status}: ${reply.text.slice(0, 500)}`);
  const id = bodyOf(reply).id;
  if (typeof id !== 'string') throw new Error(`no id in ${reply.text.slice(0, 500)}`);
  return id;
};

/** Asserts the status and the exact OpenAI envelope: exactly the four keys, with these values. */
export const expectError = (reply: Reply, status: number, expected: ExpectedError): void => {
  expect({ status: reply.status, body: reply.json }, reply.text).toEqual({
    status,
    body: {
      error: {
        message: matching(expected.message),
        type: expected.type,
        param: matching(expected.param),
        code: matching(expected.code),
      },
    },
  });
  expect(Object.keys(bodyOf(reply))).toEqual(['error']);
  expect(Object.keys(bodyOf(reply).error as object).sort()).toEqual(['code', 'message', 'param', 'type']);
};
