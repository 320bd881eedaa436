/**
 * The Anthropic Message Batches adapter (`provider: anthropic`; `reference/wire.md` §6). Params
 * (`litellm_params`): `api_key` (else `ANTHROPIC_API_KEY`), `api_base` (default
 * `https://api.anthropic.com`, else `ANTHROPIC_API_BASE`).
 *
 * Anthropic has no files API: the gateway keeps each input (`fileStaging: 'gateway'`, see
 * `domain/files/staged-adapter.ts`) and `createBatch` streams it inline as `{"requests": [...]}`
 * without holding it in memory. Each line goes up as `{custom_id: "line-<n>", params}` — OpenAI
 * custom_ids may not fit Anthropic's `^[a-zA-Z0-9_-]{1,64}$`, and the gateway keeps the map — and
 * results come back through `openResults`, from the batch's `results_url`.
 */
import { Readable } from 'node:stream';
import type { BatchInputLine } from '../../contracts/openai.js';
import type { Deployment } from '../../domain/deployment.js';
import type {
  CallOptions,
  ProviderAdapter,
  ProviderCapabilities,
  UpstreamBatch,
  UpstreamResultLine,
} from '../../domain/ports/provider-adapter.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { ProviderConfigError } from '../shared/config-error.js';
import type { AdapterDeps } from '../shared/deps.js';
import { createHttpClient, type HttpClient } from '../shared/http-client.js';
import { isRecord, stringAt } from '../shared/json.js';
import { secretParams, stringParam, trimTrailingSlashes } from '../shared/params.js';
import { toAnthropicMessages } from '../shared/anthropic-messages.js';
import type { ChatDialect } from '../shared/chat-request.js';
import { toUpstreamBatch } from './message-batch.js';
import { resultLineOf } from './results.js';
import { keyOf } from './line-key.js';
import { splitLines } from '../../domain/lines/split-lines.js';

export const ANTHROPIC_DEFAULT_API_BASE = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's API fetches https images itself. */
const ANTHROPIC_DIALECT: ChatDialect = Object.freeze({ name: 'Anthropic', imageLinks: true });

/** Anthropic's documented bounds of one batch: 100,000 requests, 256 MB of body. */
const CAPABILITIES: ProviderCapabilities = Object.freeze({
  fileStaging: 'gateway',
  lineFormat: 'native',
  batchExecution: 'native',
  retrieveFile: true,
  deleteFile: true,
  listFiles: true,
  cancelBatch: true,
  limits: Object.freeze({ minLines: null, maxLines: 100_000, maxBytes: 256 * 1024 * 1024 }),
});

/** Pages of the batch list read when the reconciler looks back (100 batches each). */
const LIST_PAGES = 5;

export function createAnthropicAdapter(deployment: Deployment, deps: AdapterDeps): ProviderAdapter {
  const env = deps.env ?? process.env;
  const apiKey = stringParam(deployment, 'api_key') ?? (env['ANTHROPIC_API_KEY']?.trim() || null);
  if (apiKey === null) {
    throw new ProviderConfigError(['no API key: set litellm_params.api_key (e.g. os.environ/ANTHROPIC_API_KEY) or the ANTHROPIC_API_KEY environment variable']);
  }
  const base = trimTrailingSlashes(stringParam(deployment, 'api_base') ?? (env['ANTHROPIC_API_BASE']?.trim() || ANTHROPIC_DEFAULT_API_BASE));
  const http: HttpClient = createHttpClient({
    deploymentId: deployment.id,
    timeoutMs: deps.timeoutMs,
    secrets: [apiKey, ...secretParams(deployment, ['api_key'])],
    dispatcher: deps.dispatcher,
    observer: deps.observer,
  });
  const headers = { 'x-api-key': apiKey, 'anthropic-version': ANTHROPIC_VERSION };
  const url = (path: string): string => `${base}/v1/messages/batches${path}`;
  const segment = encodeURIComponent;
  const batchOf = (raw: unknown): UpstreamBatch => toUpstreamBatch(raw, http.malformed);

  const retrieveBatch = async (ref: string, opts: CallOptions): Promise<UpstreamBatch> =>
    batchOf((await http.json({ method: 'GET', url: url(`/${segment(ref)}`), headers, signal: opts.signal })).body);

  const unsupported = (what: string): GatewayError =>
    new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (anthropic) has no ${what}; the gateway keeps its files.`);

  /** `{"requests":[line,line,…]}` from the staged lines, streamed. */
  async function* inlineBody(source: Readable): AsyncGenerator<Buffer> {
    yield Buffer.from('{"requests":[');
    let first = true;
    for await (const { text } of splitLines(source)) {
      if (text.trim() === '') continue;
      yield Buffer.from(first ? text : `,${text}`);
      first = false;
    }
    yield Buffer.from(']}');
  }

  return {
    deployment,
    capabilities: CAPABILITIES,
    encodeInputLine: (line: BatchInputLine, lineNo: number) => ({
      custom_id: keyOf(lineNo),
      params: { model: deployment.upstreamModel, ...toAnthropicMessages(line, lineNo, ANTHROPIC_DIALECT) },
    }),
    uploadFile: () => Promise.reject(unsupported('files API')),
    retrieveFile: () => Promise.reject(unsupported('files API')),
    openFileContent: () => Promise.reject(unsupported('files API')),
    deleteFile: () => Promise.reject(unsupported('files API')),
    listFilesSince: async function* () {},
    probe: async (opts) => {
      await http.json({ method: 'GET', url: `${url('')}?limit=1`, headers, signal: opts.signal });
    },
    createBatch: async (input, opts) => {
      if (input.stagedInput === undefined) throw new GatewayError('internal_error', 'An Anthropic batch needs its staged input.');
      const source = await input.stagedInput.open(opts.signal);
      const response = await http.json({
        method: 'POST',
        url: url(''),
        headers: { ...headers, 'content-type': 'application/json' },
        body: Readable.from(inlineBody(source), { objectMode: false }),
        signal: opts.signal,
        operation: 'POST /v1/messages/batches',
      });
      return batchOf(response.body);
    },
    retrieveBatch,
    cancelBatch: async (ref, opts) =>
      batchOf((await http.json({ method: 'POST', url: url(`/${segment(ref)}/cancel`), headers, signal: opts.signal })).body),
    listBatchesSince: async function* (since, opts) {
      let after: string | null = null;
      for (let page = 0; page < LIST_PAGES; page++) {
        const query: string = `?limit=100${after === null ? '' : `&after_id=${segment(after)}`}`;
        const body = (await http.json({ method: 'GET', url: `${url('')}${query}`, headers, signal: opts.signal })).body;
        const data = isRecord(body) && Array.isArray(body['data']) ? body['data'] : [];
        for (const raw of data) {
          const batch = batchOf(raw);
          // Newest first: the first one older than `since` ends the look back.
          if (batch.createdAt !== null && batch.createdAt < since) return;
          yield batch;
        }
        after = isRecord(body) ? stringAt(body, 'last_id') : null;
        if (!(isRecord(body) && body['has_more'] === true) || after === null) return;
      }
    },
    openResults: async function* (ref, opts): AsyncGenerator<UpstreamResultLine> {
      const raw = (await http.json({ method: 'GET', url: url(`/${segment(ref)}`), headers, signal: opts.signal })).body;
      const resultsUrl = isRecord(raw) ? stringAt(raw, 'results_url') : null;
      if (resultsUrl === null) throw http.malformed('an ended message batch without results_url');
      // The results host is the API's own; a results_url elsewhere would be sent our key.
      const target = new URL(resultsUrl);
      const results = `${base}${target.pathname}${target.search}`;
      const response = await http.stream({ method: 'GET', url: results, headers, signal: opts.signal, operation: 'GET /v1/messages/batches/{id}/results' });
      const created = Math.floor((deps.clock?.now() ?? Date.now()) / 1000);
      for await (const { text } of splitLines(response.body)) {
        if (text.trim() === '') continue;
        const line = resultLineOf(text, { model: deployment.upstreamModel, created });
        if (line !== null) yield line;
      }
    },
    sendRequest: () => Promise.reject(new GatewayError('unsupported_operation', `Deployment '${deployment.id}' (anthropic) runs batches through Message Batches, not single requests.`)),
  };
}
