/**
 * The lines of a gateway-executed batch's output and error files, byte for byte in OpenAI's
 * format (`reference/wire.md` §1): `{id, custom_id, response: {status_code, request_id, body},
 * error}`. A request that got an answer carries it in `response` (a 2xx in the output file,
 * anything else in the error file); a request that never got one has `response: null` and an
 * `error` naming why (`batch_cancelled`, `batch_expired`, `budget_exceeded`, `request_failed`).
 */
import { randomBase62 } from '../ids.js';

export const newRequestLineId = (): string => `batch_req_${randomBase62(32)}`;

export interface AnsweredLine {
  readonly customId: string;
  readonly statusCode: number;
  readonly requestId: string;
  readonly body: unknown;
}

export const answeredLine = (a: AnsweredLine, id: string = newRequestLineId()): string =>
  JSON.stringify({
    id,
    custom_id: a.customId,
    response: { status_code: a.statusCode, request_id: a.requestId, body: a.body },
    error: null,
  });

export const unansweredLine = (customId: string, code: string, message: string, id: string = newRequestLineId()): string =>
  JSON.stringify({ id, custom_id: customId, response: null, error: { code, message } });

/** The message of a line that never ran, by why dispatch stopped. */
export const NEVER_RAN_MESSAGES: Readonly<Record<string, string>> = {
  batch_cancelled: 'This request was not executed because the batch was cancelled.',
  batch_expired: 'This request could not be executed before the completion window expired.',
  budget_exceeded: 'This request was not executed because the budget of the key or team that created the batch was reached.',
  batch_failed: 'This request was not executed because the batch failed.',
};
