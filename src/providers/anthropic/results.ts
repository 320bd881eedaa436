/**
 * One line of a Message Batch's results (`reference/wire.md` §6.4) → an `UpstreamResultLine`
 * (§7.3): `succeeded` → a 200 with the message as a chat.completion; `errored` → the status of
 * the Anthropic error type with an OpenAI error body; `canceled` / `expired` → never ran. Pure.
 */
import type { UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { anthropicToCompletion } from '../shared/anthropic-completion.js';
import { isRecord, recordAt, stringAt } from '../shared/json.js';
import { lineNoOf } from './line-key.js';

/** Anthropic error type → HTTP status (billing and timeout are not documented: the natural guesses). */
const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export interface ResultDefaults {
  /** The deployment's model, for a message that names none. */
  readonly model: string;
  /** Unix seconds: when the results were read. */
  readonly created: number;
}

/** The result line, or null when the line is not one (not JSON, or a custom_id we never sent). */
export function resultLineOf(text: string, defaults: ResultDefaults): UpstreamResultLine | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(raw)) return null;
  const lineNo = lineNoOf(stringAt(raw, 'custom_id') ?? '');
  const result = recordAt(raw, 'result');
  if (lineNo === null || result === null) return null;
  switch (stringAt(result, 'type')) {
    case 'succeeded': {
      const message = recordAt(result, 'message') ?? {};
      const id = stringAt(message, 'id');
      return {
        lineNo,
        response: anthropicToCompletion(message, { model: defaults.model, created: defaults.created, completionId: `chatcmpl-${id ?? lineNo}`, sanitize: (t) => t }),
        error: null,
      };
    }
    case 'errored': {
      const envelope = recordAt(result, 'error') ?? {};
      const inner = recordAt(envelope, 'error') ?? envelope;
      const type = stringAt(inner, 'type') ?? 'api_error';
      const status = STATUS_OF_TYPE[type] ?? 500;
      // The body keeps Anthropic's error type (wire.md §7.3), which says more than the status does.
      const body = { error: { message: stringAt(inner, 'message') ?? `the request failed (${type})`, type, param: null, code: null } };
      return { lineNo, response: { statusCode: status, requestId: stringAt(envelope, 'request_id'), body }, error: null };
    }
    case 'canceled':
      return { lineNo, response: null, error: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' } };
    case 'expired':
      return { lineNo, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } };
    default:
      return null;
  }
}
