/**
 * A cheap, tokenizer-free estimate of a batch line's input tokens, charged against `tpm_limit`
 * at batch create (LiteLLM's fallback for text it cannot tokenise: ~4 UTF-8 bytes per token).
 * Counts the text a model reads (`messages[].content`, `prompt`, `input`, Responses `input`
 * items and `instructions`) and pre-tokenised integer arrays as one token per integer.
 */

const BYTES_PER_TOKEN = 4;

interface Tally {
  bytes: number;
  tokens: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text of one content value: a string, or parts with `text` (chat and Responses shapes). */
function addContent(value: unknown, tally: Tally): void {
  if (typeof value === 'string') {
    tally.bytes += Buffer.byteLength(value, 'utf8');
    return;
  }
  if (!Array.isArray(value)) return;
  for (const part of value) {
    if (typeof part === 'string') tally.bytes += Buffer.byteLength(part, 'utf8');
    else if (isObject(part) && typeof part.text === 'string') tally.bytes += Buffer.byteLength(part.text, 'utf8');
  }
}

/** `prompt` / `input`: a string, strings, token ids, lists of token ids, or Responses items. */
function addPromptLike(value: unknown, tally: Tally): void {
  if (typeof value === 'string') {
    tally.bytes += Buffer.byteLength(value, 'utf8');
    return;
  }
  if (!Array.isArray(value)) return;
  for (const item of value) {
    if (typeof item === 'number') tally.tokens += 1;
    else if (typeof item === 'string') tally.bytes += Buffer.byteLength(item, 'utf8');
    else if (Array.isArray(item)) tally.tokens += item.filter((t) => typeof t === 'number').length;
    else if (isObject(item)) addContent(item.content, tally);
  }
}

export function estimateInputTokens(body: Readonly<Record<string, unknown>>): number {
  const tally: Tally = { bytes: 0, tokens: 0 };
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) if (isObject(message)) addContent(message.content, tally);
  }
  addPromptLike(body.prompt, tally);
  addPromptLike(body.input, tally);
  addContent(body.instructions, tally);
  return tally.tokens + Math.ceil(tally.bytes / BYTES_PER_TOKEN);
}
