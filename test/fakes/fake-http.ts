/** Small HTTP helpers of the fake upstreams: answering, draining and reading request bodies. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeFlavor } from './fake-types.js';

/** Sends JSON (objects) or text (strings) with the request-id header each flavour sets. */
export const sendBody = (
  res: ServerResponse,
  flavor: FakeFlavor,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void => {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const requestId = flavor === 'openai' ? { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}` } : { 'apim-request-id': randomUUID() };
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...requestId,
    ...headers,
  });
  res.end(text);
};

/** Reads and drops a request body, so an early answer does not break the client's upload. */
export const drain = async (req: IncomingMessage): Promise<void> => {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
};

/** The request body as text, up to `limit` bytes (the rest is drained and ignored). */
export const readText = async (req: IncomingMessage, limit = 1024 * 1024): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    if (size + buffer.length <= limit) chunks.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(chunks).toString('utf8');
};

export const headerRecord = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]],
    ),
  );

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
