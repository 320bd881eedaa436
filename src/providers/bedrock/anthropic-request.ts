/**
 * OpenAI chat body → the InvokeModel body of an Anthropic model on Bedrock (`reference/wire.md`
 * §5.2, §7.4): the Messages request (`shared/anthropic-messages.ts`) without `model` (the job names
 * the model) and with `anthropic_version: "bedrock-2023-05-31"`. Images must be inline bytes. Pure.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { toAnthropicMessages } from '../shared/anthropic-messages.js';
import { BEDROCK_DIALECT } from './dialect.js';

export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** The `modelInput` of one record. */
export const toAnthropicInvokeBody = (line: BatchInputLine, lineNo: number): Record<string, unknown> => ({
  anthropic_version: BEDROCK_ANTHROPIC_VERSION,
  ...toAnthropicMessages(line, lineNo, BEDROCK_DIALECT),
});
