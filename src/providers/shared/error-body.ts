/**
 * Reads the error body of a non-2xx upstream answer into OpenAI's four error fields. Upstreams of
 * the OpenAI family answer in several envelopes (`reference/wire.md` §1.8, §3.3):
 *
 * - OpenAI:               `{"error":{"message","type","param","code"}}`
 * - Azure inference:      `{"error":{"code","message","param","type","inner_error"}}`
 * - Azure authoring:      `{"error":{"code","message","target","details","innererror"}}`
 * - Azure gateway (APIM): `{"error":{"code":"404","message":"Resource not found"}}`
 * - others seen in front of them: `{"error":"text"}`, `{"message","code"}`, plain text, HTML.
 *
 * Azure's `code` is kept (it is what its docs talk about); a missing `type` is derived from the
 * status the way OpenAI itself types them.
 */
import { isRecord, stringAt, tryParseJson, type JsonRecord } from './json.js';

export interface ParsedUpstreamError {
  readonly message: string;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
}

/** Messages longer than this are cut: they end up in client responses and logs. */
const MAX_MESSAGE_CHARS = 2000;

export const typeForStatus = (status: number): string => {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
};

const clip = (text: string): string =>
  text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;

/** Codes arrive as strings, numbers (APIM: `"404"` or `404`) or not at all. */
const codeOf = (record: JsonRecord): string | null => {
  const code = record['code'];
  if (typeof code === 'string' && code !== '') return code;
  if (typeof code === 'number') return String(code);
  return null;
};

/** Authoring-style `details[]` often carry the useful part ("line 3: …"); append their messages. */
const detailMessages = (error: JsonRecord): string[] => {
  const details = error['details'];
  if (!Array.isArray(details)) return [];
  return details.flatMap((detail) => {
    if (!isRecord(detail)) return [];
    const message = stringAt(detail, 'message');
    return message === null || message === '' ? [] : [message];
  });
};

const fromErrorObject = (error: JsonRecord, status: number): ParsedUpstreamError => {
  const base = stringAt(error, 'message') ?? '';
  const details = detailMessages(error).filter((d) => d !== base);
  const joined = [base, ...details].filter((part) => part !== '').join(' ');
  const code = codeOf(error);
  return {
    message: clip(joined === '' ? `HTTP ${status}${code === null ? '' : ` (${code})`}` : joined),
    type: stringAt(error, 'type') ?? typeForStatus(status),
    code,
    // Authoring-style envelopes name the offending field `target` instead of `param`.
    param: stringAt(error, 'param') ?? stringAt(error, 'target'),
  };
};

const fromJson = (body: unknown, status: number): ParsedUpstreamError | null => {
  if (!isRecord(body)) return null;
  const error = body['error'];
  if (isRecord(error)) return fromErrorObject(error, status);
  if (typeof error === 'string' && error !== '') {
    return { message: clip(error), type: typeForStatus(status), code: null, param: null };
  }
  // Top-level `{message, code}` (APIM policies, some proxies).
  if (typeof body['message'] === 'string') return fromErrorObject(body, status);
  return null;
};

const fromText = (text: string, status: number, statusText: string): ParsedUpstreamError => {
  const trimmed = text.trim();
  const type = typeForStatus(status);
  if (trimmed === '') {
    return { message: `HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`, type, code: null, param: null };
  }
  if (trimmed.startsWith('<')) {
    // An HTML error page from a proxy or load balancer: its title is the only readable part.
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    const what = title === undefined || title === '' ? 'an HTML page' : `an HTML page: ${title}`;
    return { message: `HTTP ${status} with ${what}`, type, code: null, param: null };
  }
  return { message: clip(trimmed.replace(/\s+/g, ' ')), type, code: null, param: null };
};

/** Parses any error body; never throws. `statusText` is only used when the body says nothing. */
export const parseErrorBody = (status: number, text: string, statusText = ''): ParsedUpstreamError => {
  const json = tryParseJson(text);
  return (json === undefined ? null : fromJson(json, status)) ?? fromText(text, status, statusText);
};
