#!/usr/bin/env node
/**
 * A minimal, fast OpenAI-compatible upstream for the benchmarks (plain JS, node:http, in memory).
 * Not a test fake: it answers the shapes of `shared/reference/wire.md` §1–2 and nothing more.
 *
 * - Files: `POST /v1/files` streams the multipart body to nowhere (counts bytes, never buffers
 *   it) and answers a File object; `GET /v1/files`, `GET /v1/files/{id}`, `DELETE /v1/files/{id}`,
 *   `GET /v1/files/{id}/content` (empty: the bytes were not kept).
 * - Batches: `POST /v1/batches` (answers `in_progress`, and every batch stays so), `GET
 *   /v1/batches` (newest first, `limit`, `after`), `GET /v1/batches/{id}`, `POST
 *   /v1/batches/{id}/cancel` (→ `cancelled`).
 * - Inference: `POST /v1/chat/completions` (and `/v1/completions`, `/v1/embeddings`) answer a
 *   fixed body at once, for gateway-executed batches.
 *
 * Any path prefix before `/v1/` is accepted and ignored, so one process can stand for several
 * upstreams (`http://127.0.0.1:<port>/a/v1`, `/b/v1`); every upload is counted per prefix.
 * `GET /_stats` answers `{uploads: {<prefix>: {count, bytes}}, requests}`.
 *
 * Run: `node bench/fake-upstream.mjs [port]` (default 0: any free port); prints one line
 * `{"listening":"http://127.0.0.1:<port>"}` on stdout when ready. The benchmarks start it
 * themselves.
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const port = Number(process.argv[2] ?? 0);
const files = new Map();
const batches = new Map();
const batchOrder = []; // oldest first
const batchIndex = new Map(); // id → position in batchOrder
const uploads = {};
let requests = 0;

const now = () => Math.floor(Date.now() / 1000);
const newId = (prefix) => `${prefix}${randomBytes(12).toString('hex')}`;

const CHAT_BODY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: now(),
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the benchmark', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  system_fingerprint: 'fp_bench',
});
const COMPLETION_BODY = JSON.stringify({
  id: 'cmpl-bench',
  object: 'text_completion',
  created: now(),
  model: 'gpt-4o-mini',
  choices: [{ index: 0, text: 'Hello', logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
});
const EMBEDDING_BODY = JSON.stringify({
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }],
  model: 'text-embedding-3-small',
  usage: { prompt_tokens: 4, total_tokens: 4 },
});

function send(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_${++requests}`,
  });
  res.end(text);
}

const notFound = (res, what, id) =>
  send(res, 404, { error: { message: `No such ${what}: ${id}`, type: 'invalid_request_error', param: null, code: null } });

/** Reads a small body (JSON requests); uploads never come through here. */
function readSmall(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Streams a multipart upload to nowhere. Reads the part headers out of the first bytes (purpose,
 * filename) and counts the file part's bytes as total minus what precedes it minus the closing
 * boundary (the file part is the last one, as the SDKs, curl -F and the gateway send it).
 */
function sinkUpload(req, res, prefix) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
  const closing = boundary === null ? 0 : Buffer.byteLength(`\r\n--${boundary[1] ?? boundary[2]}--\r\n`);
  let head = '';
  let headDone = false;
  let fileStart = -1;
  let total = 0;
  req.on('data', (chunk) => {
    if (!headDone) {
      head += chunk.toString('latin1', 0, Math.min(chunk.length, 64 * 1024));
      const at = head.search(/name="file"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/);
      if (at >= 0) {
        const m = /name="file"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/.exec(head);
        fileStart = m.index + m[0].length;
        headDone = true;
      } else if (head.length > 256 * 1024) headDone = true;
    }
    total += chunk.length;
  });
  req.on('end', () => {
    const purpose = /name="purpose"\r\n\r\n([^\r\n]*)/.exec(head)?.[1] ?? 'batch';
    const filename = /name="file"; filename="([^"]*)"/.exec(head)?.[1] ?? 'upload.jsonl';
    const bytes = fileStart < 0 ? total : Math.max(0, total - fileStart - closing);
    const u = (uploads[prefix] ??= { count: 0, bytes: 0 });
    u.count++;
    u.bytes += bytes;
    const file = { id: newId('file-'), object: 'file', bytes, created_at: now(), expires_at: null, filename, purpose, status: 'processed', status_details: null };
    files.set(file.id, file);
    send(res, 200, file);
  });
  req.on('error', () => res.destroy());
}

function newBatch(body) {
  const created = now();
  return {
    id: newId('batch_'),
    object: 'batch',
    endpoint: body.endpoint ?? '/v1/chat/completions',
    model: null,
    errors: null,
    input_file_id: body.input_file_id,
    completion_window: body.completion_window ?? '24h',
    status: 'in_progress',
    output_file_id: null,
    error_file_id: null,
    created_at: created,
    in_progress_at: created,
    expires_at: created + 86400,
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    metadata: body.metadata ?? null,
  };
}

function listBatches(res, query) {
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const after = query.get('after');
  let from = batchOrder.length - 1;
  if (after !== null) {
    const at = batchIndex.get(after);
    from = at === undefined ? -1 : at - 1;
  }
  const data = [];
  for (let i = from; i >= 0 && data.length < limit; i--) data.push(batches.get(batchOrder[i]));
  send(res, 200, {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: from - data.length >= 0,
  });
}

async function handle(req, res) {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const v1 = path.indexOf('/v1/');
  if (path === '/_stats') return send(res, 200, { uploads, requests, files: files.size, batches: batches.size });
  if (v1 < 0) return notFound(res, 'route', path);
  const prefix = path.slice(0, v1) || '/';
  const route = path.slice(v1 + 3); // "/files/…"
  const parts = route.split('/'); // ['', 'files', id, 'content']
  const method = req.method;

  if (method === 'POST' && route === '/chat/completions') {
    req.resume();
    return req.on('end', () => send(res, 200, CHAT_BODY));
  }
  if (method === 'POST' && route === '/completions') {
    req.resume();
    return req.on('end', () => send(res, 200, COMPLETION_BODY));
  }
  if (method === 'POST' && route === '/embeddings') {
    req.resume();
    return req.on('end', () => send(res, 200, EMBEDDING_BODY));
  }

  if (parts[1] === 'files') {
    const id = parts[2] ? decodeURIComponent(parts[2]) : undefined;
    if (method === 'POST' && id === undefined) return sinkUpload(req, res, prefix);
    req.resume();
    if (method === 'GET' && id === undefined) {
      const data = [...files.values()].reverse().slice(0, Number(new URLSearchParams(req.url.slice(q + 1)).get('limit') ?? 10000));
      return send(res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
    }
    const file = files.get(id);
    if (file === undefined) return notFound(res, 'File object', id);
    if (method === 'GET' && parts[3] === 'content') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 0 });
      return res.end();
    }
    if (method === 'GET') return send(res, 200, file);
    if (method === 'DELETE') {
      files.delete(id);
      return send(res, 200, { id, object: 'file', deleted: true });
    }
  }

  if (parts[1] === 'batches') {
    const id = parts[2] ? decodeURIComponent(parts[2]) : undefined;
    if (method === 'POST' && id === undefined) {
      let body;
      try {
        body = JSON.parse(await readSmall(req));
      } catch {
        return send(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error', param: null, code: null } });
      }
      if (!files.has(body.input_file_id)) {
        return send(res, 400, { error: { message: `Cannot find file ${body.input_file_id}.`, type: 'invalid_request_error', param: 'input_file_id', code: null } });
      }
      const batch = newBatch(body);
      batches.set(batch.id, batch);
      batchIndex.set(batch.id, batchOrder.length);
      batchOrder.push(batch.id);
      return send(res, 200, batch);
    }
    req.resume();
    if (method === 'GET' && id === undefined) return listBatches(res, new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)));
    const batch = batches.get(id);
    if (batch === undefined) return notFound(res, 'Batch object', id);
    if (method === 'GET' && parts[3] === undefined) return send(res, 200, batch);
    if (method === 'POST' && parts[3] === 'cancel') {
      Object.assign(batch, { status: 'cancelled', cancelling_at: batch.cancelling_at ?? now(), cancelled_at: now() });
      return send(res, 200, batch);
    }
  }
  req.resume();
  notFound(res, 'route', `${method} ${path}`);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  handle(req, res).catch((err) => send(res, 500, { error: { message: String(err), type: 'server_error', param: null, code: null } }));
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => process.exit(0));
