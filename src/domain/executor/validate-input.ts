/**
 * The `validating` step of a gateway-executed batch: the whole input is read once, every line is
 * checked as OpenAI checks a batch file (JSON object, unique non-empty `custom_id`, `method`
 * POST, `url` equal to the batch's endpoint, an object `body`, no `stream: true`), and the
 * requests are cut into chunks of `chunkLines`, each remembering the byte its first line starts
 * at. A bad line fails the batch with `errors.data[]` naming line and code, as OpenAI does.
 */
import type { BatchError } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { normaliseUrl } from '../lines/batch-file-inspector.js';
import type { ChunkRecord } from '../ports/executions.js';
import { inputLines } from './input-lines.js';
import { DuplicateFinder } from '../lines/duplicate-finder.js';

/** OpenAI reports a bounded number of line errors; so do we. */
const MAX_LINE_ERRORS = 50;

export type ValidationOutcome =
  | { readonly ok: true; readonly total: number; readonly chunks: Omit<ChunkRecord, 'state'>[] }
  | { readonly ok: false; readonly errors: BatchError[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type LineProblem = Omit<BatchError, 'line'>;

/** The problem with one line, or the custom_id of a request the executor can send (one parse). */
export function lineProblem(text: string, endpoint: string): { readonly problem: LineProblem } | { readonly customId: string } {
  const problem = (p: LineProblem) => ({ problem: p });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return problem({ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null });
  }
  if (!isObject(parsed)) return problem({ code: 'invalid_json_line', message: 'This line is not a JSON object.', param: null });
  const { custom_id: customId, method, url, body } = parsed;
  if (typeof customId !== 'string' || customId === '') {
    return problem({ code: 'missing_required_parameter', message: "Missing required parameter: 'custom_id'.", param: 'custom_id' });
  }
  if (method !== 'POST') return problem({ code: 'invalid_method', message: "Invalid value for 'method': only POST is supported.", param: 'method' });
  if (typeof url !== 'string' || normaliseUrl(url) !== endpoint) {
    return problem({ code: 'mismatched_url', message: `The url of this request does not match the batch's endpoint '${endpoint}'.`, param: 'url' });
  }
  if (!isObject(body)) return problem({ code: 'missing_required_parameter', message: "Missing required parameter: 'body' (an object).", param: 'body' });
  if (body['stream'] === true) {
    return problem({ code: 'invalid_value', message: "'body.stream' cannot be true in a batch request.", param: 'body.stream' });
  }
  return { customId };
}

/**
 * `reread` opens the input again for the second pass of the duplicate check (`DuplicateFinder`),
 * needed only when an id may repeat: memory stays flat in the number of lines.
 */
export async function validateInput(
  source: AsyncIterable<Uint8Array>,
  endpoint: string,
  chunkLines: number,
  signal: AbortSignal,
  reread: () => Promise<AsyncIterable<Uint8Array>>,
): Promise<ValidationOutcome> {
  const errors: BatchError[] = [];
  const chunks: Omit<ChunkRecord, 'state'>[] = [];
  const ids = new DuplicateFinder(1_000_000);
  let total = 0;
  try {
    for await (const line of inputLines(source)) {
      signal.throwIfAborted();
      const checked = lineProblem(line.text, endpoint);
      if ('customId' in checked) ids.add(checked.customId);
      else errors.push({ ...checked.problem, line: line.lineNo });
      if (errors.length >= MAX_LINE_ERRORS) break;
      if (total % chunkLines === 0) chunks.push({ batchId: '', chunkNo: chunks.length, firstLine: total, lineCount: 0, byteStart: line.byteStart });
      total += 1;
    }
  } catch (err) {
    // A line that is not UTF-8 stops the reader; the error names the line.
    if (!(err instanceof GatewayError)) throw err;
    errors.push({ code: err.code, message: err.message.replace(' The file was not stored.', ''), param: null, line: null });
  }
  if (errors.length < MAX_LINE_ERRORS && ids.hasSuspects) {
    for await (const repeat of ids.repeats(requestIds(await reread(), endpoint))) {
      errors.push({ code: 'duplicate_custom_id', message: `The custom_id '${repeat.customId}' is not unique in the file.`, param: 'custom_id', line: repeat.lineNo });
      if (errors.length >= MAX_LINE_ERRORS) break;
    }
    // Reported in line order, as one pass would have.
    errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }
  if (errors.length > 0) return { ok: false, errors };
  if (total === 0) return { ok: false, errors: [{ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null }] };
  const sized = chunks.map((c, i) => ({ ...c, lineCount: Math.min(chunkLines, total - c.firstLine), chunkNo: i }));
  return { ok: true, total, chunks: sized };
}

/** The custom_id of every valid request line, for the second pass. */
async function* requestIds(source: AsyncIterable<Uint8Array>, endpoint: string): AsyncGenerator<{ lineNo: number; customId: string }> {
  for await (const line of inputLines(source)) {
    const checked = lineProblem(line.text, endpoint);
    if ('customId' in checked) yield { lineNo: line.lineNo, customId: checked.customId };
  }
}
