/**
 * One OpenAI batch line → one Gemini API batch line `{"key": "<line number>", "request":
 * GenerateContentRequest}` (`reference/wire.md` §10), the request translated by the code shared
 * with Vertex (`shared/gemini-content/`). Unlike Vertex there are no `labels` here (the Gemini
 * API refuses them with a 400): the `key` is the correlation handle, echoed by every line of a
 * responses file and, for inline batches, kept in each request's `metadata`.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { invalidLine } from '../shared/gemini-content/content-parts.js';
import { isChatPath, toGenerateContentRequest } from '../shared/gemini-content/request.js';
import { isRecord } from '../shared/json.js';

/** How refusals name this upstream. */
export const GEMINI_UPSTREAM_NAME = 'Gemini API';

export interface GeminiLine {
  readonly key: string;
  readonly request: Record<string, unknown>;
}

/** `ProviderAdapter.encodeInputLine` of the Gemini API adapter. */
export const encodeGeminiLine = (line: BatchInputLine, lineNo: number): GeminiLine => {
  if (!isChatPath(line.url)) {
    throw invalidLine(`Gemini API batch deployments run /v1/chat/completions lines only, not ${line.url}`, 'url');
  }
  return { key: String(lineNo), request: toGenerateContentRequest(line.body, GEMINI_UPSTREAM_NAME) };
};

/** The line number a `key` carries, or null for a key the gateway did not write. */
export const lineNoOfKey = (key: unknown): number | null =>
  typeof key === 'string' && /^[1-9][0-9]{0,9}$/.test(key) ? Number(key) : null;

/** A staged line read back: its key and request, or null when it is not one of ours. */
export const parseStagedLine = (text: string): GeminiLine | null => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || typeof parsed['key'] !== 'string' || !isRecord(parsed['request'])) return null;
  return { key: parsed['key'], request: parsed['request'] as Record<string, unknown> };
};
