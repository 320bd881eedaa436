/**
 * One gateway line → one Bedrock input record `{recordId, modelInput}` (`reference/wire.md` §5.2).
 * The line number goes into `recordId` so results join back to the line without a lookup.
 */
import type { BatchInputLine } from '../../contracts/openai.js';
import { toAnthropicInvokeBody } from './anthropic-request.js';
import { toConverseBody } from './converse-request.js';
import type { ModelFamily } from './model-family.js';
import { encodeRecordId } from './record-id.js';

export interface InputRecord {
  readonly recordId: string;
  readonly modelInput: Record<string, unknown>;
}

export const encodeRecord = (line: BatchInputLine, lineNo: number, family: ModelFamily): InputRecord => ({
  recordId: encodeRecordId(lineNo),
  modelInput: family === 'anthropic' ? toAnthropicInvokeBody(line, lineNo) : toConverseBody(line, lineNo),
});
