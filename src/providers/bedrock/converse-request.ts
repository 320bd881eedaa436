/**
 * OpenAI chat body → the Converse request body of a record (`reference/wire.md` §5.2, §7.4), for
 * Amazon Nova and every other non-Anthropic model. Pure.
 *
 * - `system`/`developer` messages → `system: [{text}]`;
 * - user/assistant content → `[{text}]` blocks; images → `{image: {format, source: {bytes}}}`
 *   with the base64 bytes (JSON carries blobs as base64);
 * - `max_completion_tokens`/`max_tokens`, `temperature`, `top_p`, `stop` → `inferenceConfig`
 *   (omitted when unset: the model's default applies, as it would on OpenAI);
 * - tools, tool calls and tool results are refused: a Converse batch job does not take
 *   `toolConfig` and fails such records.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { checkChatLine, maxTokensOf, mergeTurns, messagesOf, numberOf, refuse, stopSequencesOf, type ContentPart } from '../shared/chat-request.js';
import { BEDROCK_DIALECT } from './dialect.js';

type Block = Record<string, unknown>;

/** Converse names an image format, not a MIME type. */
const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const blockOf = (part: ContentPart, lineNo: number, param: string): Block => {
  if (part.kind === 'text') return { text: part.text };
  if (part.kind === 'image-url') throw refuse(lineNo, param, 'Bedrock accepts images only as base64 data: URLs (data:image/png;base64,…), not links');
  const format = Object.hasOwn(IMAGE_FORMATS, part.mediaType) ? IMAGE_FORMATS[part.mediaType] : undefined;
  if (format === undefined) throw refuse(lineNo, param, `image type '${part.mediaType}' is not supported (png, jpeg, gif, webp)`);
  return { image: { format, source: { bytes: part.data } } };
};

const TOOLS_UNSUPPORTED = 'tool use is not supported for this model in Bedrock batch jobs (Converse batch records cannot carry toolConfig)';

/** The `modelInput` of one record. */
export const toConverseBody = (line: BatchInputLine, lineNo: number): Record<string, unknown> => {
  const body = checkChatLine(line, lineNo, BEDROCK_DIALECT);
  for (const key of ['tools', 'functions']) {
    const value = body[key];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) throw refuse(lineNo, key, TOOLS_UNSUPPORTED);
  }
  for (const key of ['tool_choice', 'function_call']) {
    const value = body[key];
    // `none` asks for no tool use, which is what a Converse batch record does anyway.
    if (value !== undefined && value !== null && value !== 'none') throw refuse(lineNo, key, TOOLS_UNSUPPORTED);
  }
  const system: Block[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  messagesOf(body, lineNo, BEDROCK_DIALECT).forEach((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case 'system':
        if (message.text !== '') system.push({ text: message.text });
        return;
      case 'tool':
        throw refuse(lineNo, param, TOOLS_UNSUPPORTED);
      case 'assistant':
        if (message.toolCalls.length > 0) throw refuse(lineNo, `${param}.tool_calls`, TOOLS_UNSUPPORTED);
        turns.push({ role: 'assistant', content: message.parts.map((p) => blockOf(p, lineNo, `${param}.content`)) });
        return;
      case 'user':
        turns.push({ role: 'user', content: message.parts.map((p) => blockOf(p, lineNo, `${param}.content`)) });
        return;
    }
  });
  const maxTokens = maxTokensOf(body, lineNo);
  const temperature = numberOf(body, 'temperature', lineNo);
  const topP = numberOf(body, 'top_p', lineNo);
  const stop = stopSequencesOf(body, lineNo);
  const inferenceConfig = {
    ...(maxTokens === null ? {} : { maxTokens }),
    ...(temperature === null ? {} : { temperature }),
    ...(topP === null ? {} : { topP }),
    ...(stop === null ? {} : { stopSequences: stop }),
  };
  return {
    messages: mergeTurns(turns),
    ...(system.length === 0 ? {} : { system }),
    ...(Object.keys(inferenceConfig).length === 0 ? {} : { inferenceConfig }),
  };
};
