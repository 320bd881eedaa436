/**
 * Requests Node's HTTP parser refuses before Fastify routes them (oversized headers, broken
 * chunked encoding, Content-Length with Transfer-Encoding, a garbage request line) are answered
 * in OpenAI's error envelope too, over raw sockets, and the gateway keeps serving afterwards.
 */
import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientError } from '../../src/http/error-handler.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { envelopeOf, rawRequest, requestHead } from '../helpers/raw-http.js';

const MASTER_KEY = 'sk-master-client-errors';

let gw: InProcessGateway;

beforeAll(async () => {
  gw = await startGateway({
    yaml: `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:9/v1
      api_key: sk-unused
general_settings:
  master_key: os.environ/MASTER
`,
    env: { MASTER: MASTER_KEY },
  });
});

afterAll(async () => {
  await gw?.close();
});

const chunkedPost = (body: string): Buffer =>
  Buffer.concat([
    requestHead(gw.url, {
      method: 'POST',
      path: '/v1/batches',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    }),
    Buffer.from(body),
  ]);

interface Case {
  readonly name: string;
  readonly request: () => Buffer;
  readonly status: number;
  readonly code: string;
  readonly statusText: string;
}

const CASES: readonly Case[] = [
  {
    name: 'headers over 16 KiB',
    request: () => requestHead(gw.url, { method: 'GET', path: '/v1/files', headers: { 'x-padding': 'a'.repeat(20 * 1024) } }),
    status: 431,
    code: 'headers_too_large',
    statusText: 'Request Header Fields Too Large',
  },
  {
    name: 'an invalid chunk size',
    request: () => chunkedPost('zz\r\n{}\r\n0\r\n\r\n'),
    status: 400,
    code: 'invalid_request',
    statusText: 'Bad Request',
  },
  {
    name: 'Content-Length and Transfer-Encoding together',
    request: () =>
      Buffer.concat([
        requestHead(gw.url, {
          method: 'POST',
          path: '/v1/batches',
          headers: { 'content-type': 'application/json', 'content-length': 7, 'transfer-encoding': 'chunked' },
        }),
        Buffer.from('2\r\n{}\r\n0\r\n\r\n'),
      ]),
    status: 400,
    code: 'invalid_request',
    statusText: 'Bad Request',
  },
  {
    name: 'a garbage request line',
    request: () => Buffer.from('\x01\x02 NOT HTTP AT ALL\r\n\r\n', 'latin1'),
    status: 400,
    code: 'invalid_request',
    statusText: 'Bad Request',
  },
];

describe('errors from the HTTP parser, before routing', () => {
  it.each(CASES)('$name → $status in the OpenAI envelope', async ({ request, status, code, statusText }) => {
    const outcome = await rawRequest(gw.url, request());
    expect(outcome.kind).toBe('response');
    if (outcome.kind !== 'response') return;
    const { response } = outcome;
    expect(response.status).toBe(status);
    expect(response.statusText).toBe(statusText);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.connection).toBe('close');
    expect(Number(response.headers['content-length'])).toBe(response.body.length);
    const error = envelopeOf(response.json);
    expect(error, response.text).not.toBeNull();
    expect(error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param: null, code });

    // The gateway still answers normally afterwards.
    const alive = await fetch(`${gw.url}/health/liveliness`);
    expect(alive.status).toBe(200);
  });
});

/** A socket stand-in that records what the handler does with it. */
const fakeSocket = (state: { writable: boolean; destroyed: boolean }) => {
  const written: string[] = [];
  let destroyed = 0;
  const socket = {
    get writable() {
      return state.writable;
    },
    get destroyed() {
      return state.destroyed;
    },
    write: (data: string) => {
      written.push(data);
      return true;
    },
    destroy: () => {
      destroyed++;
    },
  };
  return { socket: socket as unknown as Socket, written, destroyedCalls: () => destroyed };
};

const connectionError = (code: string): ConnectionError =>
  Object.assign(new Error(code), { code, bytesParsed: 0, rawPacket: { type: 'Buffer', data: [] } });

describe('answerClientError on its own', () => {
  it('a request or header timeout is a 408 request_timeout', () => {
    for (const code of ['ERR_HTTP_REQUEST_TIMEOUT', 'HPE_HEADERS_TIMEOUT']) {
      const fake = fakeSocket({ writable: true, destroyed: false });
      answerClientError.call(undefined, connectionError(code), fake.socket);
      expect(fake.written).toHaveLength(1);
      const [raw = ''] = fake.written;
      expect(raw.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
      const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      expect(envelopeOf(JSON.parse(body))).toEqual({ message: expect.any(String), type: 'invalid_request_error', param: null, code: 'request_timeout' });
      expect(fake.destroyedCalls()).toBe(1);
    }
  });

  it('a reset connection is only destroyed, never written to', () => {
    const fake = fakeSocket({ writable: true, destroyed: false });
    answerClientError.call(undefined, connectionError('ECONNRESET'), fake.socket);
    expect(fake.written).toEqual([]);
    expect(fake.destroyedCalls()).toBe(1);
  });

  it('a socket that can no longer be written is only destroyed', () => {
    const fake = fakeSocket({ writable: false, destroyed: false });
    answerClientError.call(undefined, connectionError('HPE_INVALID_METHOD'), fake.socket);
    expect(fake.written).toEqual([]);
    expect(fake.destroyedCalls()).toBe(1);
  });
});
