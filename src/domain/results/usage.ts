/** The batch `usage` summed from each answered line's body, read the way cost booking reads it. */
import type { BatchUsage } from '../../contracts/openai.js';
import { usageOfBody } from '../cost/output-usage.js';

export const emptyUsage = (): BatchUsage => ({
  input_tokens: 0,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 0,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 0,
});

export function addUsage(sum: BatchUsage, body: unknown): BatchUsage {
  const line = usageOfBody(body);
  return {
    input_tokens: sum.input_tokens + line.input,
    input_tokens_details: { cached_tokens: sum.input_tokens_details.cached_tokens + line.cached },
    output_tokens: sum.output_tokens + line.output,
    output_tokens_details: { reasoning_tokens: sum.output_tokens_details.reasoning_tokens + line.reasoning },
    total_tokens: sum.total_tokens + line.total,
  };
}
