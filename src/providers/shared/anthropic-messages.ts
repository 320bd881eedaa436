/**
 * OpenAI chat body → an Anthropic Messages request (`reference/wire.md` §6.2, §7.4), shared by the
 * Anthropic Message Batches adapter and Anthropic models on Bedrock (which add their
 * `anthropic_version` and leave the model to the job). Pure.
 *
 * - `system`/`developer` messages → `system` (joined by blank lines);
 * - user/assistant content → content blocks; images → base64 `image` blocks, or `url` sources
 *   where the dialect lets the upstream fetch links;
 * - assistant `tool_calls` → `tool_use` blocks, `tool` messages → `tool_result` blocks in a user turn;
 * - `tools`/`tool_choice`/`parallel_tool_calls` → Anthropic's tool fields;
 * - `max_tokens` is required by Anthropic: the line's `max_completion_tokens`/`max_tokens`, else
 *   {@link DEFAULT_MAX_TOKENS};
 * - `stop` → `stop_sequences`; `temperature`, `top_p` as they are; `seed`, penalties, `user` dropped
 *   (Anthropic has no equivalent, and OpenAI treats them as hints).
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { isRecord, type JsonRecord } from './json.js';
import {
  checkChatLine,
  maxTokensOf,
  mergeTurns,
  messagesOf,
  numberOf,
  refuse,
  stopSequencesOf,
  type ChatDialect,
  type ContentPart,
} from './chat-request.js';

/** Used when a line sets no limit: Anthropic requires one, and 4096 fits every Claude model. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;

const blockOf = (part: ContentPart): Block => {
  switch (part.kind) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return { type: 'image', source: { type: 'base64', media_type: part.mediaType, data: part.data } };
    case 'image-url':
      return { type: 'image', source: { type: 'url', url: part.url } };
  }
};

const toolsOf = (body: JsonRecord, lineNo: number): Block[] | null => {
  const tools = body['tools'];
  if (tools === undefined || tools === null) return null;
  if (!Array.isArray(tools)) throw refuse(lineNo, 'tools', 'tools must be a list');
  return tools.map((tool, i) => {
    const fn = isRecord(tool) ? tool['function'] : undefined;
    if (!isRecord(tool) || tool['type'] !== 'function' || !isRecord(fn) || typeof fn['name'] !== 'string') {
      throw refuse(lineNo, `tools[${i}]`, 'only function tools with a name are supported');
    }
    const parameters = isRecord(fn['parameters']) ? fn['parameters'] : { type: 'object', properties: {} };
    return {
      name: fn['name'],
      ...(typeof fn['description'] === 'string' ? { description: fn['description'] } : {}),
      input_schema: parameters,
    };
  });
};

const toolChoiceOf = (body: JsonRecord, lineNo: number): Block | null => {
  const choice = body['tool_choice'];
  const noParallel = body['parallel_tool_calls'] === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) return body['parallel_tool_calls'] === false ? { type: 'auto', ...noParallel } : null;
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'required') return { type: 'any', ...noParallel };
  if (choice === 'none') return { type: 'none' };
  if (isRecord(choice) && isRecord(choice['function']) && typeof choice['function']['name'] === 'string') {
    return { type: 'tool', name: choice['function']['name'], ...noParallel };
  }
  throw refuse(lineNo, 'tool_choice', 'tool_choice must be auto, none, required or a named function');
};

/** The Messages request of one line, without `model` (the caller adds it, or the job names it). */
export const toAnthropicMessages = (line: BatchInputLine, lineNo: number, dialect: ChatDialect): Record<string, unknown> => {
  const body = checkChatLine(line, lineNo, dialect);
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  for (const message of messagesOf(body, lineNo, dialect)) {
    switch (message.role) {
      case 'system':
        if (message.text !== '') system.push(message.text);
        break;
      case 'user':
        turns.push({ role: 'user', content: message.parts.map(blockOf) });
        break;
      case 'assistant':
        turns.push({
          role: 'assistant',
          content: [
            ...message.parts.map(blockOf),
            ...message.toolCalls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.input })),
          ],
        });
        break;
      case 'tool':
        turns.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.text }] });
        break;
    }
  }
  const tools = toolsOf(body, lineNo);
  const toolChoice = toolChoiceOf(body, lineNo);
  const temperature = numberOf(body, 'temperature', lineNo);
  const topP = numberOf(body, 'top_p', lineNo);
  const stop = stopSequencesOf(body, lineNo);
  return {
    max_tokens: maxTokensOf(body, lineNo) ?? DEFAULT_MAX_TOKENS,
    ...(system.length === 0 ? {} : { system: system.join('\n\n') }),
    messages: mergeTurns(turns),
    ...(temperature === null ? {} : { temperature }),
    ...(topP === null ? {} : { top_p: topP }),
    ...(stop === null ? {} : { stop_sequences: stop }),
    ...(tools === null ? {} : { tools }),
    ...(toolChoice === null ? {} : { tool_choice: toolChoice }),
  };
};
