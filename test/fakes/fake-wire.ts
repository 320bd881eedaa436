/**
 * How each fake flavour spells its answers (`reference/wire.md` §1.4, §1.8, §2.3, §3.3): File and
 * Batch objects, list envelopes and error envelopes — OpenAI's, Azure authoring-style (classic),
 * Azure inference-style (v1) and Azure's gateway-level 404/401.
 */
import type { BatchStatus } from '../../src/contracts/openai.js';
import type { AzureQuirks, AzureStyle, FakeBatch, FakeFile, FakeFlavor } from './fake-types.js';

export interface WireContext {
  readonly flavor: FakeFlavor;
  readonly azureStyle: AzureStyle;
  readonly quirks: AzureQuirks;
}

export interface ErrorInit {
  readonly message: string;
  readonly type?: string;
  readonly code?: string | null;
  readonly param?: string | null;
}

const typeFor = (status: number): string => {
  if (status === 401) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
};

/** Azure authoring-style codes (`reference/wire.md` §3.3) for a status. */
const authoringCode = (status: number): string => {
  if (status === 400) return 'invalidPayload';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'notFound';
  if (status === 409) return 'conflict';
  if (status === 429) return 'tooManyRequests';
  if (status === 503) return 'serviceUnavailable';
  return status >= 500 ? 'internalFailure' : 'invalidPayload';
};

export const errorEnvelope = (ctx: WireContext, status: number, init: ErrorInit): unknown => {
  if (ctx.flavor === 'openai') {
    return { error: { message: init.message, type: init.type ?? typeFor(status), param: init.param ?? null, code: init.code ?? null } };
  }
  if (ctx.azureStyle === 'classic') {
    return {
      error: { code: init.code ?? authoringCode(status), message: init.message, target: init.param ?? null, details: [], innererror: null },
    };
  }
  return {
    error: { code: init.code ?? null, message: init.message, param: init.param ?? null, type: init.type ?? typeFor(status), inner_error: null },
  };
};

/** What Azure's API gateway answers for unknown paths or missing/unknown api-version. */
export const AZURE_RESOURCE_NOT_FOUND = { error: { code: '404', message: 'Resource not found' } };

export const AZURE_ACCESS_DENIED = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};

const isoOf = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('Z', '+00:00');

/** A timestamp as this flavour sends it. */
const time = (ctx: WireContext, seconds: number | null): number | string | null => {
  if (seconds === null) return null;
  return ctx.flavor === 'azure' && ctx.quirks.isoTimestamps === true ? isoOf(seconds) : seconds;
};

const CAPITALISED: Record<BatchStatus, string> = {
  validating: 'Validating',
  failed: 'Failed',
  in_progress: 'InProgress',
  finalizing: 'Finalizing',
  completed: 'Completed',
  expired: 'Expired',
  cancelling: 'Cancelling',
  cancelled: 'Cancelled',
};

export const fileJson = (ctx: WireContext, file: FakeFile, status: string): Record<string, unknown> => ({
  id: file.id,
  object: 'file',
  bytes: ctx.flavor === 'azure' && ctx.quirks.nullBytes === true ? null : file.bytes,
  created_at: time(ctx, file.createdAt),
  expires_at: time(ctx, file.expiresAt),
  filename: file.filename,
  purpose: file.purpose,
  status,
  status_details: null,
});

export const batchJson = (ctx: WireContext, batch: FakeBatch): Record<string, unknown> => {
  const azure = ctx.flavor === 'azure';
  const stringLines = azure && ctx.quirks.stringErrorLines === true;
  const errors =
    batch.errors === null
      ? null
      : {
          object: 'list',
          data: batch.errors.map((e) => ({ ...e, line: e.line === null ? null : stringLines ? String(e.line) : e.line })),
        };
  const { inputTokens, outputTokens } = batch.usage;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    ...(batch.model === null ? {} : { model: batch.model }),
    errors,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: azure && ctx.quirks.capitalisedStatus === true ? CAPITALISED[batch.status] : batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: time(ctx, batch.createdAt),
    in_progress_at: time(ctx, batch.inProgressAt),
    expires_at: time(ctx, batch.expiresAt),
    finalizing_at: time(ctx, batch.finalizingAt),
    completed_at: time(ctx, batch.completedAt),
    failed_at: time(ctx, batch.failedAt),
    expired_at: time(ctx, batch.expiredAt),
    cancelling_at: time(ctx, batch.cancellingAt),
    cancelled_at: time(ctx, batch.cancelledAt),
    request_counts: { ...batch.requestCounts },
    // OpenAI reports usage on batches created after 2025-09-07; Azure's objects have none.
    ...(azure
      ? { input_blob: null, output_blob: null, error_blob: null }
      : {
          usage: {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + outputTokens,
          },
        }),
    metadata: batch.metadata,
  };
};

/** `{object, data, first_id, last_id, has_more}`; Azure classic file lists carry only `object` + `data`. */
export const listJson = (data: ReadonlyArray<Record<string, unknown>>, hasMore: boolean, bare: boolean): unknown => {
  if (bare) return { object: 'list', data };
  const first = data[0];
  const last = data[data.length - 1];
  return {
    object: 'list',
    data,
    first_id: first === undefined ? null : first['id'],
    last_id: last === undefined ? null : last['id'],
    has_more: hasMore,
  };
};
