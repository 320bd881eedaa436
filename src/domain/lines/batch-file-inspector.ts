/**
 * Validates a batch input file one line at a time, as it streams (`reference/wire.md` §2.5 and the
 * codes of §2.8). The first bad line stops the upload with a 400 naming the line, so nothing is
 * forwarded anywhere. Remembers only what later steps need: custom_ids (for uniqueness), the
 * distinct `body.model` values and the endpoint.
 */
import { BATCH_ENDPOINTS, type BatchInputLine } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { ErrorCode } from '../../errors/catalogue.js';
import { DuplicateFinder } from './duplicate-finder.js';
import { estimateInputTokens } from '../limits/token-estimate.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import type { Line } from './split-lines.js';

export interface InspectorOptions {
  readonly maxLines: number;
  /** When set, every line's `body.model` must be one of these (a managed upload's groups). */
  readonly allowedModels: ReadonlySet<string> | null;
  /** Whether every line must name `body.model` (managed and load-balanced uploads route by it). */
  readonly requireModel: boolean;
  /** Called for every distinct `body.model`; throws to refuse a model the caller may not use. */
  readonly checkModel?: (model: string, lineNo: number) => void;
}

export interface InspectionResult {
  readonly lineCount: number;
  readonly models: ReadonlySet<string>;
  readonly endpoint: string | null;
  /** Estimated input tokens of every line, for `tpm_limit` at batch create. */
  readonly inputTokens: number;
}

const ENDPOINTS: ReadonlySet<string> = new Set(BATCH_ENDPOINTS);
/** Azure's classic examples name endpoints without the /v1 prefix; both spellings are accepted. */
export const normaliseUrl = (url: string): string => (url.startsWith('/v1/') ? url : `/v1${url}`);

const lineError = (code: ErrorCode, lineNo: number, message: string, param: string | null = null): GatewayError =>
  new GatewayError(code, `Line ${lineNo}: ${message} The file was not stored.`, { param });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The custom_id of every request line (the lines were validated by the first pass). */
async function* customIdsOf(lines: AsyncIterable<Line>): AsyncGenerator<{ lineNo: number; customId: string }> {
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    yield { lineNo: line.lineNo, customId: (JSON.parse(line.text) as { custom_id: string }).custom_id };
  }
}

export class BatchFileInspector {
  /** Bounded: a Bloom filter, with a second pass over the file only when an id may repeat. */
  private readonly customIds: DuplicateFinder;
  private readonly models = new Set<string>();
  private endpoint: string | null = null;
  private lineCount = 0;
  private inputTokens = 0;

  constructor(private readonly options: InspectorOptions) {
    this.customIds = new DuplicateFinder(options.maxLines);
  }

  /** Validates one line; returns the parsed line, or null for a blank line (skipped). */
  inspect(line: Line): BatchInputLine | null {
    if (line.text.trim() === '') return null;
    const { lineNo } = line;
    this.lineCount += 1;
    if (this.lineCount > this.options.maxLines) {
      throw new GatewayError(
        'too_many_lines',
        `The file has more than ${this.options.maxLines} requests, the most one batch may hold.`,
        { param: 'file' },
      );
    }
    // Before parsing: a line nested thousands deep parses, then overflows the stack in any
    // recursive step after validation (JSON.stringify in the rewrite, adapters' encoders).
    if (nestsDeeperThan(line.text, MAX_JSON_DEPTH)) {
      throw lineError('invalid_json_line', lineNo, `the JSON nests deeper than ${MAX_JSON_DEPTH} levels.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.text);
    } catch {
      throw lineError('invalid_json_line', lineNo, 'this line is not parseable as valid JSON.');
    }
    if (!isObject(parsed)) throw lineError('invalid_request', lineNo, 'each line must be a JSON object.');
    const { custom_id: customId, method, url, body } = parsed;
    if (typeof customId !== 'string' || customId === '') {
      throw lineError('invalid_request', lineNo, "Missing required parameter: 'custom_id' (a non-empty string).", 'custom_id');
    }
    this.customIds.add(customId);
    if (method !== 'POST') throw lineError('invalid_request', lineNo, "method must be 'POST'.", 'method');
    if (typeof url !== 'string' || !ENDPOINTS.has(normaliseUrl(url))) {
      throw lineError('invalid_request', lineNo, `url must be one of ${BATCH_ENDPOINTS.join(', ')}.`, 'url');
    }
    if (this.endpoint === null) this.endpoint = normaliseUrl(url);
    else if (this.endpoint !== normaliseUrl(url)) {
      throw lineError('url_mismatch', lineNo, `url '${url}' differs from '${this.endpoint}' of the lines before it.`, 'url');
    }
    if (!isObject(body)) throw lineError('invalid_request', lineNo, "Missing required parameter: 'body' (an object).", 'body');
    if (body.stream === true) throw lineError('invalid_request', lineNo, 'stream: true is not allowed in a batch.', 'body.stream');
    this.inspectModel(body.model, lineNo);
    this.inputTokens += estimateInputTokens(body);
    return { custom_id: customId, method: 'POST', url, body };
  }

  private inspectModel(model: unknown, lineNo: number): void {
    if (model === undefined && !this.options.requireModel) return;
    if (typeof model !== 'string' || model === '') {
      throw lineError('invalid_request', lineNo, "Missing required parameter: 'body.model'.", 'body.model');
    }
    // Access first: a model the key may not use is refused as such (403), wherever it appears.
    if (!this.models.has(model)) this.options.checkModel?.(model, lineNo);
    const { allowedModels } = this.options;
    if (allowedModels !== null && !allowedModels.has(model)) {
      throw lineError(
        'model_mismatch',
        lineNo,
        `body.model '${model}' is not one of the file's target model groups (${[...allowedModels].join(', ')}).`,
        'body.model',
      );
    }
    this.models.add(model);
  }

  /**
   * Refuses a custom_id that repeats, naming the line of the repeat. `reread` streams the file's
   * lines again; it is called only when the first pass saw an id that may repeat (rarely, unless
   * one does).
   */
  async checkUnique(reread: () => AsyncIterable<Line>): Promise<void> {
    if (!this.customIds.hasSuspects) return;
    const repeat = await this.customIds.firstRepeat(customIdsOf(reread()));
    if (repeat === null) return;
    throw lineError(
      'duplicate_custom_id',
      repeat.lineNo,
      `The custom_id '${repeat.customId}' is a duplicate of another request; custom_id must be unique in the file.`,
      'custom_id',
    );
  }

  result(): InspectionResult {
    if (this.lineCount === 0) {
      throw new GatewayError('empty_file', 'The file is empty: a batch file needs at least one request line.', {
        param: 'file',
      });
    }
    return { lineCount: this.lineCount, models: this.models, endpoint: this.endpoint, inputTokens: this.inputTokens };
  }
}
