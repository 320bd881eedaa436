/**
 * Request schemas for the OpenAI-compatible routes. Field rules follow `reference/wire.md` §1.2, §1.3,
 * §2.2 and §2.3. Unknown fields are tolerated (clients send LiteLLM extras such as
 * `custom_llm_provider`); the routes read only what is declared here.
 */
import { z } from 'zod';
import { BATCH_ENDPOINTS, FILE_UPLOAD_PURPOSES } from './openai.js';

export const EXPIRES_AFTER_MIN_SECONDS = 3600;
export const EXPIRES_AFTER_MAX_SECONDS = 2_592_000;

export const expiresAfterSchema = z.object({
  anchor: z.literal('created_at', { error: "anchor must be 'created_at'" }),
  seconds: z
    .number({ error: 'seconds must be an integer' })
    .int({ error: 'seconds must be an integer' })
    .min(EXPIRES_AFTER_MIN_SECONDS, { error: `seconds must be at least ${EXPIRES_AFTER_MIN_SECONDS}` })
    .max(EXPIRES_AFTER_MAX_SECONDS, { error: `seconds must be at most ${EXPIRES_AFTER_MAX_SECONDS}` }),
});

export const filePurposeSchema = z.enum(FILE_UPLOAD_PURPOSES, {
  error: `purpose must be one of ${FILE_UPLOAD_PURPOSES.join(', ')}`,
});

// Key length is checked on the whole record: a failing key schema inside z.record is reported
// with the record's own message ("must be an object…"), which hides what is wrong.
const metadataSchema = z
  .record(
    z.string(),
    z.string({ error: 'metadata values must be strings' }).max(512, {
      error: 'metadata values must be at most 512 characters',
    }),
    { error: 'metadata must be an object of string values' },
  )
  .refine((m) => Object.keys(m).length <= 16, { error: 'metadata may hold at most 16 pairs' })
  .refine((m) => Object.keys(m).every((key) => key.length <= 64), { error: 'metadata keys must be at most 64 characters' });

export const createBatchSchema = z.looseObject({
  input_file_id: z.string({ error: "Missing required parameter: 'input_file_id'." }).min(1),
  endpoint: z.enum(BATCH_ENDPOINTS, {
    error: `endpoint must be one of ${BATCH_ENDPOINTS.join(', ')}`,
  }),
  completion_window: z.literal('24h', { error: "completion_window must be '24h'" }),
  metadata: metadataSchema.nullish(),
  output_expires_after: expiresAfterSchema.optional(),
  model: z.string().min(1).optional(),
});
export type CreateBatchRequest = z.infer<typeof createBatchSchema>;

/** A query-string integer ("20") with bounds. */
const queryInt = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be an integer` })
    .int({ error: `${name} must be an integer` })
    .min(min, { error: `${name} must be at least ${min}` })
    .max(max, { error: `${name} must be at most ${max}` });

export const listBatchesQuerySchema = z.looseObject({
  limit: queryInt('limit', 1, 100).default(20),
  after: z.string().min(1).optional(),
  target_model_names: z.string().optional(),
  /** batchgate's own: only batches created by keys of this team (the caller's scope still applies). */
  team_id: z.string().min(1).optional(),
});
export type ListBatchesQuery = z.infer<typeof listBatchesQuerySchema>;

export const listFilesQuerySchema = z.looseObject({
  purpose: z.string().min(1).optional(),
  limit: queryInt('limit', 1, 10_000).default(10_000),
  order: z.enum(['asc', 'desc'], { error: "order must be 'asc' or 'desc'" }).default('desc'),
  after: z.string().min(1).optional(),
});
export type ListFilesQuery = z.infer<typeof listFilesQuerySchema>;
