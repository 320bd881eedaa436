/**
 * One OpenAI batch line (`/v1/chat/completions`) → one Vertex batch line `{"request":
 * GenerateContentRequest}` (`reference/wire.md` §4.4, §7.4). Pure. The request itself is the
 * Gemini translation shared with the Gemini API adapter (`shared/gemini-content/`); what is
 * Vertex's own is the line number in `request.labels`, which Vertex echoes in each output line:
 * it is our only correlation key (Vertex has no custom_id).
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { invalidLine } from '../shared/gemini-content/content-parts.js';
import { isChatPath, toGenerateContentRequest } from '../shared/gemini-content/request.js';
import { LINE_LABEL_KEY } from './labels.js';

/** How refusals name this upstream. */
const VERTEX_UPSTREAM_NAME = 'Vertex AI';

/** `ProviderAdapter.encodeInputLine` of the Vertex adapter. */
export const encodeVertexLine = (line: BatchInputLine, lineNo: number): { request: Record<string, unknown> } => {
  if (!isChatPath(line.url)) {
    throw invalidLine(`Vertex AI batch deployments run /v1/chat/completions lines only, not ${line.url}`, 'url');
  }
  return { request: { ...toGenerateContentRequest(line.body, VERTEX_UPSTREAM_NAME), labels: { [LINE_LABEL_KEY]: String(lineNo) } } };
};
