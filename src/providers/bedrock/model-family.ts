/**
 * Which record format a Bedrock model takes in a batch job. Anthropic models get their native
 * InvokeModel body (the Messages API with `anthropic_version`), because that is the format Bedrock
 * has accepted for Claude batches longest and it keeps tool use, which the Converse invocation type
 * does not support in batch (`reference/wire.md` §5.2). Every other model (Amazon Nova, Llama,
 * Mistral, …) gets the Converse body: one shape for all of them instead of one per vendor.
 */

export type ModelFamily = 'anthropic' | 'converse';

/** `modelInvocationType` of the job for each family. */
export const INVOCATION_TYPE = {
  anthropic: 'InvokeModel',
  converse: 'Converse',
} as const satisfies Record<ModelFamily, 'InvokeModel' | 'Converse'>;

/**
 * Anthropic models appear as `anthropic.claude-…`, behind a cross-region inference profile
 * (`us.anthropic.…`, `eu.…`, `apac.…`, `global.…`) or inside an ARN
 * (`…:foundation-model/anthropic.…`, `…:inference-profile/us.anthropic.…`).
 */
const ANTHROPIC = /(?:^|[./])anthropic\./;

export const modelFamilyOf = (modelId: string): ModelFamily => (ANTHROPIC.test(modelId) ? 'anthropic' : 'converse');
