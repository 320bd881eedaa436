/**
 * What every non-OpenAI line format (Anthropic Messages, on its own API or on Bedrock; Bedrock
 * Converse) needs from an OpenAI chat body: the checks such a line must pass, and the body's
 * messages read into a small neutral shape. Everything here is pure; a body the upstream cannot
 * express is refused with a `GatewayError` (`invalid_request`) that names the line and the field,
 * and the domain stops the upload with it. The `ChatDialect` says which upstream, for the
 * messages, and whether it fetches images by link.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { isRecord, type JsonRecord } from './json.js';

export interface ChatDialect {
  /** The upstream as messages name it: `Bedrock`, `Anthropic`. */
  readonly name: string;
  /** Whether the upstream fetches an image from an https link itself (Bedrock takes bytes only). */
  readonly imageLinks: boolean;
}

export type ContentPart =
  | { readonly kind: 'text'; readonly text: string }
  /** `data` is base64, as a `data:` URL carries it. */
  | { readonly kind: 'image'; readonly mediaType: string; readonly data: string }
  /** An https image the upstream fetches itself (only when the dialect allows links). */
  | { readonly kind: 'image-url'; readonly url: string };

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The parsed `arguments` JSON. */
  readonly input: unknown;
}

export type ChatMessage =
  | { readonly role: 'system'; readonly text: string }
  | { readonly role: 'user'; readonly parts: readonly ContentPart[] }
  | { readonly role: 'assistant'; readonly parts: readonly ContentPart[]; readonly toolCalls: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly text: string };

/** `(line, field) → GatewayError`, so every refusal reads the same way. */
export const refuse = (lineNo: number, param: string, problem: string): GatewayError =>
  new GatewayError('invalid_request', `Line ${lineNo}: ${problem}. The file was not stored.`, { param: `body.${param}` });

/** Batch lines here are chat completions; embeddings and the rest have no line format of their own. */
export const checkChatLine = (line: BatchInputLine, lineNo: number, dialect: ChatDialect): JsonRecord => {
  if (!/\/chat\/completions$/.test(line.url)) {
    throw new GatewayError(
      'invalid_request',
      `Line ${lineNo}: url '${line.url}' is not supported by ${dialect.name} batch deployments, which run /v1/chat/completions only. The file was not stored.`,
      { param: 'url' },
    );
  }
  const body = line.body;
  if (body['stream'] === true) throw refuse(lineNo, 'stream', 'stream: true cannot run in a batch');
  const n = body['n'];
  if (n !== undefined && n !== null && n !== 1) throw refuse(lineNo, 'n', `n: ${JSON.stringify(n)} is not supported by ${dialect.name} (one choice per request)`);
  if (body['logprobs'] === true) throw refuse(lineNo, 'logprobs', `logprobs are not returned by ${dialect.name}`);
  const format = body['response_format'];
  if (isRecord(format) && format['type'] !== 'text') {
    throw refuse(lineNo, 'response_format', `response_format '${String(format['type'])}' is not supported by ${dialect.name} batch deployments`);
  }
  return body;
};

/** `max_completion_tokens` (the current name) wins over the deprecated `max_tokens`. */
export const maxTokensOf = (body: JsonRecord, lineNo: number): number | null => {
  for (const key of ['max_completion_tokens', 'max_tokens']) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw refuse(lineNo, key, `${key} must be a positive integer`);
    return value;
  }
  return null;
};

export const numberOf = (body: JsonRecord, key: string, lineNo: number): number | null => {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse(lineNo, key, `${key} must be a number`);
  return value;
};

/** OpenAI's `stop` is a string or up to four strings; every format here takes a list. */
export const stopSequencesOf = (body: JsonRecord, lineNo: number): string[] | null => {
  const stop = body['stop'];
  if (stop === undefined || stop === null) return null;
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop.length === 0 ? null : [...stop];
  throw refuse(lineNo, 'stop', 'stop must be a string or a list of strings');
};

const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)$/i;

const imagePart = (part: JsonRecord, lineNo: number, param: string, dialect: ChatDialect): ContentPart => {
  const image = part['image_url'];
  const url = typeof image === 'string' ? image : isRecord(image) && typeof image['url'] === 'string' ? image['url'] : null;
  if (url === null) throw refuse(lineNo, param, 'an image_url part needs image_url.url');
  const match = DATA_URL.exec(url);
  if (match === null) {
    if (dialect.imageLinks && /^https:\/\//i.test(url)) return { kind: 'image-url', url };
    // Bedrock fetches nothing on a record's behalf: its models take image bytes only.
    throw refuse(
      lineNo,
      param,
      dialect.imageLinks
        ? `${dialect.name} accepts images as https links or base64 data: URLs (data:image/png;base64,…)`
        : `${dialect.name} accepts images only as base64 data: URLs (data:image/png;base64,…), not links`,
    );
  }
  return { kind: 'image', mediaType: (match[1] ?? '').toLowerCase(), data: (match[2] ?? '').replace(/\s+/g, '') };
};

const partsOf = (content: unknown, lineNo: number, param: string, allowImages: boolean, dialect: ChatDialect): ContentPart[] => {
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (content === null || content === undefined) return [];
  if (!Array.isArray(content)) throw refuse(lineNo, param, 'content must be a string or a list of parts');
  return content.map((part, j) => {
    const where = `${param}[${j}]`;
    if (!isRecord(part)) throw refuse(lineNo, where, 'a content part must be an object');
    if (part['type'] === 'text' && typeof part['text'] === 'string') return { kind: 'text', text: part['text'] };
    if (part['type'] === 'image_url' && allowImages) return imagePart(part, lineNo, where, dialect);
    throw refuse(lineNo, where, `content part type '${String(part['type'])}' is not supported here by ${dialect.name} batch deployments`);
  });
};

const textOf = (content: unknown, lineNo: number, param: string, dialect: ChatDialect): string =>
  partsOf(content, lineNo, param, false, dialect)
    .map((p) => (p.kind === 'text' ? p.text : ''))
    .join('\n');

const toolCallsOf = (raw: unknown, lineNo: number, param: string): ToolCall[] => {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw refuse(lineNo, param, 'tool_calls must be a list');
  return raw.map((call, k) => {
    const where = `${param}[${k}]`;
    const fn = isRecord(call) ? call['function'] : undefined;
    if (!isRecord(call) || typeof call['id'] !== 'string' || !isRecord(fn) || typeof fn['name'] !== 'string') {
      throw refuse(lineNo, where, 'a tool call needs id, function.name and function.arguments');
    }
    const args = fn['arguments'];
    let input: unknown = {};
    if (typeof args === 'string' && args.trim() !== '') {
      try {
        input = JSON.parse(args) as unknown;
      } catch {
        throw refuse(lineNo, `${where}.function.arguments`, 'tool call arguments are not valid JSON');
      }
    }
    return { id: call['id'], name: fn['name'], input };
  });
};

/** Reads `messages` into the neutral shape; `developer` is OpenAI's newer name for `system`. */
export const messagesOf = (body: JsonRecord, lineNo: number, dialect: ChatDialect): ChatMessage[] => {
  const raw = body['messages'];
  if (!Array.isArray(raw) || raw.length === 0) throw refuse(lineNo, 'messages', 'messages must be a non-empty list');
  return raw.map((message, i): ChatMessage => {
    const param = `messages[${i}]`;
    if (!isRecord(message)) throw refuse(lineNo, param, 'a message must be an object');
    const role = message['role'];
    const content = message['content'];
    switch (role) {
      case 'system':
      case 'developer':
        return { role: 'system', text: textOf(content, lineNo, `${param}.content`, dialect) };
      case 'user':
        return { role: 'user', parts: partsOf(content, lineNo, `${param}.content`, true, dialect) };
      case 'assistant':
        return {
          role: 'assistant',
          parts: partsOf(content, lineNo, `${param}.content`, false, dialect),
          toolCalls: toolCallsOf(message['tool_calls'], lineNo, `${param}.tool_calls`),
        };
      case 'tool': {
        const id = message['tool_call_id'];
        if (typeof id !== 'string' || id === '') throw refuse(lineNo, `${param}.tool_call_id`, 'a tool message needs tool_call_id');
        return { role: 'tool', toolCallId: id, text: textOf(content, lineNo, `${param}.content`, dialect) };
      }
      default:
        throw refuse(lineNo, `${param}.role`, `role '${String(role)}' is not supported by ${dialect.name} batch deployments`);
    }
  });
};

/**
 * Anthropic and Converse want alternating turns; OpenAI allows two user messages in a row (and tool results
 * become user turns), so adjacent turns of one role are merged by concatenating their blocks.
 */
export const mergeTurns = <B>(turns: ReadonlyArray<{ role: 'user' | 'assistant'; content: B[] }>): Array<{ role: 'user' | 'assistant'; content: B[] }> => {
  const merged: Array<{ role: 'user' | 'assistant'; content: B[] }> = [];
  for (const turn of turns) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.role === turn.role) last.content.push(...turn.content);
    else merged.push({ role: turn.role, content: [...turn.content] });
  }
  return merged;
};
