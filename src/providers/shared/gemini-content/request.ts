/**
 * One OpenAI chat body (`/v1/chat/completions`) → one Gemini `GenerateContentRequest`
 * (`reference/wire.md` §4.4, §7.4), the shape Vertex AI and the Gemini API share. Pure. Whatever
 * the translation cannot express is refused with a `GatewayError('invalid_request')` naming the
 * field and the API (`upstream`, e.g. "Vertex AI"); harmless OpenAI-only fields (`user`,
 * `store`, `metadata`, …) are dropped. The line wrapper around the request (Vertex's
 * `request.labels`, the Gemini API's `key`) is each adapter's own.
 */
import { isRecord, stringAt, type JsonRecord } from '../json.js';
import { invalidLine, partsOf, textOf, type GeminiPart } from './content-parts.js';
import { toGeminiSchema } from './schema.js';

interface Content {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/** Fields with no effect on the answer, or that the gateway itself handles. */
const DROPPED = new Set(['model', 'user', 'store', 'metadata', 'service_tier', 'parallel_tool_calls', 'stream_options', 'modalities']);

/** OpenAI's `reasoning_effort` → Gemini 2.5 thinking budgets (tokens). */
const THINKING_BUDGETS: Readonly<Record<string, number>> = { low: 1024, medium: 8192, high: 24576 };

const CHAT_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);

const argumentsOf = (raw: unknown, param: string, upstream: string): unknown => {
  if (isRecord(raw)) return raw;
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw invalidLine(`${param} must be a JSON object (${upstream} takes function arguments as an object)`, param);
};

/** Translates `messages`, keeping tool-call ids → function names for the tool results. */
const translateMessages = (messages: unknown, upstream: string): { contents: Content[]; system: string[] } => {
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
      contents.push({ role: 'user', parts: partsOf(message['content'], `${param}.content`, upstream) });
    } else if (role === 'assistant') {
      contents.push({ role: 'model', parts: assistantParts(message, param, callNames, upstream) });
    } else if (isTool) {
      const part = toolResultPart(message, param, callNames, upstream);
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
  if (empty >= 0) throw invalidLine(`every user and assistant message needs some content for ${upstream}`, 'messages');
  if (contents.length === 0) throw invalidLine('messages needs at least one user message besides system messages', 'messages');
  return { contents, system };
};

const assistantParts = (message: JsonRecord, param: string, callNames: Map<string, string>, upstream: string): GeminiPart[] => {
  const parts = partsOf(message['content'], `${param}.content`, upstream);
  const calls = message['tool_calls'];
  if (Array.isArray(calls)) {
    calls.forEach((call: unknown, j) => {
      const where = `${param}.tool_calls[${j}]`;
      const fn = isRecord(call) && isRecord(call['function']) ? call['function'] : null;
      const name = fn === null ? null : stringAt(fn, 'name');
      if (fn === null || name === null) throw invalidLine(`${where} must be a function call with a name`, 'messages');
      const id = isRecord(call) ? stringAt(call, 'id') : null;
      if (id !== null) callNames.set(id, name);
      parts.push({ functionCall: { name, args: argumentsOf(fn['arguments'], `${where}.function.arguments`, upstream) } });
    });
  }
  const legacy = message['function_call'];
  if (isRecord(legacy) && typeof legacy['name'] === 'string') {
    parts.push({ functionCall: { name: legacy['name'], args: argumentsOf(legacy['arguments'], `${param}.function_call.arguments`, upstream) } });
  }
  return parts;
};

const toolResultPart = (message: JsonRecord, param: string, callNames: Map<string, string>, upstream: string): GeminiPart => {
  const id = stringAt(message, 'tool_call_id');
  const name = (id === null ? undefined : callNames.get(id)) ?? stringAt(message, 'name');
  if (name === null) {
    throw invalidLine(`${param}: its tool_call_id matches no tool call of an earlier assistant message (${upstream} needs the function's name)`, 'messages');
  }
  return { functionResponse: { name, response: { content: textOf(message['content'], `${param}.content`) } } };
};

const translateTools = (body: JsonRecord, upstream: string): JsonRecord[] | undefined => {
  const declarations: JsonRecord[] = [];
  const tools = body['tools'];
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw invalidLine('tools must be an array', 'tools');
    tools.forEach((tool: unknown, i) => {
      const fn = isRecord(tool) && tool['type'] === 'function' && isRecord(tool['function']) ? tool['function'] : null;
      if (fn === null) throw invalidLine(`tools[${i}]: only function tools are supported by ${upstream} batch deployments`, 'tools');
      declarations.push(declarationOf(fn, `tools[${i}].function`, upstream));
    });
  }
  const functions = body['functions'];
  if (Array.isArray(functions)) functions.forEach((fn: unknown, i) => declarations.push(declarationOf(isRecord(fn) ? fn : {}, `functions[${i}]`, upstream)));
  return declarations.length === 0 ? undefined : [{ functionDeclarations: declarations }];
};

const declarationOf = (fn: JsonRecord, param: string, upstream: string): JsonRecord => {
  const name = stringAt(fn, 'name');
  if (name === null || name === '') throw invalidLine(`${param}.name is required`, 'tools');
  const description = stringAt(fn, 'description');
  return {
    name,
    ...(description === null ? {} : { description }),
    ...(isRecord(fn['parameters']) ? { parameters: toGeminiSchema(fn['parameters'], `${param}.parameters`, upstream) } : {}),
  };
};

const toolConfigOf = (body: JsonRecord, upstream: string): JsonRecord | undefined => {
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
  throw invalidLine(`tool_choice ${JSON.stringify(choice)} is not supported by ${upstream}`, 'tool_choice');
};

const numberParam = (body: JsonRecord, key: string): number | undefined => {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidLine(`${key} must be a number`, key);
  return value;
};

const responseFormatConfig = (format: unknown, upstream: string): JsonRecord => {
  if (format === undefined || format === null) return {};
  const type = isRecord(format) ? format['type'] : undefined;
  if (type === 'text') return {};
  if (type === 'json_object') return { responseMimeType: 'application/json' };
  if (type === 'json_schema' && isRecord(format)) {
    const spec = isRecord(format['json_schema']) ? format['json_schema'] : {};
    return {
      responseMimeType: 'application/json',
      ...(isRecord(spec['schema']) ? { responseSchema: toGeminiSchema(spec['schema'], 'response_format.json_schema.schema', upstream) } : {}),
    };
  }
  throw invalidLine(`response_format type '${String(type)}' is not supported by ${upstream}`, 'response_format');
};

const generationConfigOf = (body: JsonRecord, upstream: string): JsonRecord => {
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
  Object.assign(config, responseFormatConfig(body['response_format'], upstream));
  const effort = body['reasoning_effort'];
  if (effort !== undefined && effort !== null) {
    const budget = typeof effort === 'string' && Object.hasOwn(THINKING_BUDGETS, effort) ? THINKING_BUDGETS[effort] : undefined;
    if (budget === undefined) throw invalidLine(`reasoning_effort '${String(effort)}' is not supported by ${upstream} (low, medium, high)`, 'reasoning_effort');
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

const refuseUnsupported = (body: JsonRecord, upstream: string): void => {
  if (body['stream'] === true) throw invalidLine('stream: true is not possible in a batch', 'stream');
  if (body['logprobs'] === true) throw invalidLine(`logprobs is not supported by ${upstream} batch deployments`, 'logprobs');
  if (isRecord(body['audio'])) throw invalidLine(`audio output is not supported by ${upstream} batch deployments`, 'audio');
  const unknown = Object.keys(body).filter((k) => !HANDLED.has(k) && !DROPPED.has(k) && body[k] !== null);
  if (unknown.length > 0) {
    throw invalidLine(`${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not supported by ${upstream} batch deployments`, unknown[0] ?? null);
  }
};

/** The Gemini request of one chat body; `upstream` names the API in refusals ("Vertex AI"). */
export const toGenerateContentRequest = (body: JsonRecord, upstream: string): Record<string, unknown> => {
  refuseUnsupported(body, upstream);
  const { contents, system } = translateMessages(body['messages'], upstream);
  const tools = translateTools(body, upstream);
  const toolConfig = toolConfigOf(body, upstream);
  const generationConfig = generationConfigOf(body, upstream);
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

/** Whether a batch line's url is a chat completion (the only kind Gemini batches run). */
export const isChatPath = (url: string): boolean => CHAT_PATHS.has(url.split('?', 1)[0] ?? '');
