/**
 * One OpenAI batch line (`/v1/chat/completions`) → one Vertex batch line `{"request":
 * GenerateContentRequest}` (`reference/wire.md` §4.4, §7.4). Pure. The line number goes into
 * `request.labels`, which Vertex echoes in each output line: it is our only correlation key
 * (Vertex has no custom_id). Whatever the translation cannot express is refused with a
 * `GatewayError('invalid_request')` naming the field; harmless OpenAI-only fields (`user`,
 * `store`, `metadata`, …) are dropped.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { isRecord, stringAt, type JsonRecord } from '../shared/json.js';
import { invalidLine, partsOf, textOf, type GeminiPart } from './content-parts.js';
import { LINE_LABEL_KEY } from './labels.js';
import { toVertexSchema } from './schema.js';

interface Content {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/** Fields with no effect on the answer, or that the gateway itself handles. */
const DROPPED = new Set(['model', 'user', 'store', 'metadata', 'service_tier', 'parallel_tool_calls', 'stream_options', 'modalities']);

/** OpenAI's `reasoning_effort` → Gemini 2.5 thinking budgets (tokens). */
const THINKING_BUDGETS: Readonly<Record<string, number>> = { low: 1024, medium: 8192, high: 24576 };

const CHAT_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);

const argumentsOf = (raw: unknown, param: string): unknown => {
  if (isRecord(raw)) return raw;
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw invalidLine(`${param} must be a JSON object (Vertex AI takes function arguments as an object)`, param);
};

/** Translates `messages`, keeping tool-call ids → function names for the tool results. */
const translateMessages = (messages: unknown): { contents: Content[]; system: string[] } => {
  if (!Array.isArray(messages) || messages.length === 0) throw invalidLine('messages must be a non-empty array', 'messages');
  const contents: Content[] = [];
  const system: string[] = [];
  const callNames = new Map<string, string>();
  let previousWasTool = false;

  messages.forEach((message: unknown, i) => {
    const param = `messages[${i}]`;
    if (!isRecord(message)) throw invalidLine(`${param} must be an object`, 'messages');
    const role = message['role'];
    const isTool = role === 'tool' || role === 'function';
    if (role === 'system' || role === 'developer') {
      system.push(textOf(message['content'], `${param}.content`));
    } else if (role === 'user') {
      contents.push({ role: 'user', parts: partsOf(message['content'], `${param}.content`) });
    } else if (role === 'assistant') {
      contents.push({ role: 'model', parts: assistantParts(message, param, callNames) });
    } else if (isTool) {
      const part = toolResultPart(message, param, callNames);
      // The answers to one turn's calls go back together in one turn, as Gemini requires.
      const last = contents[contents.length - 1];
      if (previousWasTool && last !== undefined) last.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
    } else {
      throw invalidLine(`${param}.role '${String(role)}' is not supported`, 'messages');
    }
    previousWasTool = isTool;
  });
  const empty = contents.findIndex((c) => c.parts.length === 0);
  if (empty >= 0) throw invalidLine('every user and assistant message needs some content for Vertex AI', 'messages');
  if (contents.length === 0) throw invalidLine('messages needs at least one user message besides system messages', 'messages');
  return { contents, system };
};

const assistantParts = (message: JsonRecord, param: string, callNames: Map<string, string>): GeminiPart[] => {
  const parts = partsOf(message['content'], `${param}.content`);
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    calls.forEach((call: unknown, j) => {
      const where = `${param}.tool_calls[${j}]`;
      const fn = isRecord(call) && isRecord(call['function']) ? call['function'] : null;
      const name = fn === null ? null : stringAt(fn, 'name');
      if (fn === null || name === null) throw invalidLine(`${where} must be a function call with a name`, 'messages');
      const id = isRecord(call) ? stringAt(call, 'id') : null;
      if (id !== null) callNames.set(id, name);
      parts.push({ functionCall: { name, args: argumentsOf(fn['arguments'], `${where}.function.arguments`) } });
    });
  }
  const legacy = message['function_call'];
  if (isRecord(legacy) && typeof legacy['name'] === 'string') {
    parts.push({ functionCall: { name: legacy['name'], args: argumentsOf(legacy['arguments'], `${param}.function_call.arguments`) } });
  }
  return parts;
};

const toolResultPart = (message: JsonRecord, param: string, callNames: Map<string, string>): GeminiPart => {
  const id = stringAt(message, 'tool_call_id');
  const name = (id === null ? undefined : callNames.get(id)) ?? stringAt(message, 'name');
  if (name === null) {
    throw invalidLine(`${param}: its tool_call_id matches no tool call of an earlier assistant message (Vertex AI needs the function's name)`, 'messages');
  }
  return { functionResponse: { name, response: { content: textOf(message['content'], `${param}.content`) } } };
};

const translateTools = (body: JsonRecord): JsonRecord[] | undefined => {
  const declarations: JsonRecord[] = [];
  const tools = body['tools'];
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw invalidLine('tools must be an array', 'tools');
    tools.forEach((tool: unknown, i) => {
      const fn = isRecord(tool) && tool['type'] === 'function' && isRecord(tool['function']) ? tool['function'] : null;
      if (fn === null) throw invalidLine(`tools[${i}]: only function tools are supported by Vertex AI batch deployments`, 'tools');
      declarations.push(declarationOf(fn, `tools[${i}].function`));
    });
  }
  const functions = body['functions'];
  if (Array.isArray(functions)) functions.forEach((fn: unknown, i) => declarations.push(declarationOf(isRecord(fn) ? fn : {}, `functions[${i}]`)));
  return declarations.length === 0 ? undefined : [{ functionDeclarations: declarations }];
};

const declarationOf = (fn: JsonRecord, param: string): JsonRecord => {
  const name = stringAt(fn, 'name');
  if (name === null || name === '') throw invalidLine(`${param}.name is required`, 'tools');
  const description = stringAt(fn, 'description');
  return {
    name,
    ...(description === null ? {} : { description }),
    ...(isRecord(fn['parameters']) ? { parameters: toVertexSchema(fn['parameters'], `${param}.parameters`) } : {}),
  };
};

const toolConfigOf = (body: JsonRecord): JsonRecord | undefined => {
  const choice = body['tool_choice'] ?? body['function_call'];
  if (choice === undefined || choice === null) return undefined;
  const mode = (m: string, names?: string[]): JsonRecord => ({
    functionCallingConfig: { mode: m, ...(names === undefined ? {} : { allowedFunctionNames: names }) },
  });
  if (choice === 'none') return mode('NONE');
  if (choice === 'auto') return mode('AUTO');
  if (choice === 'required') return mode('ANY');
  if (isRecord(choice)) {
    const fn = isRecord(choice['function']) ? choice['function'] : choice;
    const name = stringAt(fn, 'name');
    if (name !== null) return mode('ANY', [name]);
  }
  throw invalidLine(`tool_choice ${JSON.stringify(choice)} is not supported by Vertex AI`, 'tool_choice');
};

const numberParam = (body: JsonRecord, key: string): number | undefined => {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidLine(`${key} must be a number`, key);
  return value;
};

const responseFormatConfig = (format: unknown): JsonRecord => {
  if (format === undefined || format === null) return {};
  const type = isRecord(format) ? format['type'] : undefined;
  if (type === 'text') return {};
  if (type === 'json_object') return { responseMimeType: 'application/json' };
  if (type === 'json_schema' && isRecord(format)) {
    const spec = isRecord(format['json_schema']) ? format['json_schema'] : {};
    return {
      responseMimeType: 'application/json',
      ...(isRecord(spec['schema']) ? { responseSchema: toVertexSchema(spec['schema'], 'response_format.json_schema.schema') } : {}),
    };
  }
  throw invalidLine(`response_format type '${String(type)}' is not supported by Vertex AI`, 'response_format');
};

const generationConfigOf = (body: JsonRecord): JsonRecord => {
  const config: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) config[key] = value;
  };
  set('temperature', numberParam(body, 'temperature'));
  set('topP', numberParam(body, 'top_p'));
  set('topK', numberParam(body, 'top_k'));
  set('candidateCount', numberParam(body, 'n'));
  set('maxOutputTokens', numberParam(body, 'max_completion_tokens') ?? numberParam(body, 'max_tokens'));
  set('seed', numberParam(body, 'seed'));
  set('presencePenalty', numberParam(body, 'presence_penalty'));
  set('frequencyPenalty', numberParam(body, 'frequency_penalty'));
  const stop = body['stop'];
  if (typeof stop === 'string') config['stopSequences'] = [stop];
  else if (Array.isArray(stop) && stop.length > 0) {
    if (!stop.every((s) => typeof s === 'string')) throw invalidLine('stop must be a string or an array of strings', 'stop');
    config['stopSequences'] = stop;
  }
  Object.assign(config, responseFormatConfig(body['response_format']));
  const effort = body['reasoning_effort'];
  if (effort !== undefined && effort !== null) {
    const budget = typeof effort === 'string' && Object.hasOwn(THINKING_BUDGETS, effort) ? THINKING_BUDGETS[effort] : undefined;
    if (budget === undefined) throw invalidLine(`reasoning_effort '${String(effort)}' is not supported by Vertex AI (low, medium, high)`, 'reasoning_effort');
    config['thinkingConfig'] = { thinkingBudget: budget };
  }
  return config;
};

/** Fields of a chat body the translation reads; anything else is refused unless dropped. */
const HANDLED = new Set([
  'messages', 'temperature', 'top_p', 'top_k', 'n', 'max_tokens', 'max_completion_tokens', 'seed', 'presence_penalty',
  'frequency_penalty', 'stop', 'response_format', 'reasoning_effort', 'tools', 'tool_choice', 'functions', 'function_call',
  'stream', 'logprobs', 'safety_settings',
]);

const refuseUnsupported = (body: JsonRecord): void => {
  if (body['stream'] === true) throw invalidLine('stream: true is not possible in a batch', 'stream');
  if (body['logprobs'] === true) throw invalidLine('logprobs is not supported by Vertex AI batch deployments', 'logprobs');
  if (isRecord(body['audio'])) throw invalidLine('audio output is not supported by Vertex AI batch deployments', 'audio');
  const unknown = Object.keys(body).filter((k) => !HANDLED.has(k) && !DROPPED.has(k) && body[k] !== null);
  if (unknown.length > 0) {
    throw invalidLine(`${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not supported by Vertex AI batch deployments`, unknown[0] ?? null);
  }
};

/** The Gemini request of one chat body; exported for tests and golden files. */
export const toGenerateContentRequest = (body: JsonRecord): Record<string, unknown> => {
  refuseUnsupported(body);
  const { contents, system } = translateMessages(body['messages']);
  const tools = translateTools(body);
  const toolConfig = toolConfigOf(body);
  const generationConfig = generationConfigOf(body);
  const safety = body['safety_settings'];
  return {
    contents,
    ...(system.length === 0 ? {} : { systemInstruction: { parts: system.map((text) => ({ text })) } }),
    ...(Object.keys(generationConfig).length === 0 ? {} : { generationConfig }),
    ...(tools === undefined ? {} : { tools }),
    ...(toolConfig === undefined ? {} : { toolConfig }),
    ...(Array.isArray(safety) ? { safetySettings: safety } : {}),
  };
};

/** `ProviderAdapter.encodeInputLine` of the Vertex adapter. */
export const encodeVertexLine = (line: BatchInputLine, lineNo: number): { request: Record<string, unknown> } => {
  const path = line.url.split('?', 1)[0] ?? '';
  if (!CHAT_PATHS.has(path)) {
    throw invalidLine(`Vertex AI batch deployments run /v1/chat/completions lines only, not ${line.url}`, 'url');
  }
  return { request: { ...toGenerateContentRequest(line.body), labels: { [LINE_LABEL_KEY]: String(lineNo) } } };
};
