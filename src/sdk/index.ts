/**
 * batchgate's SDK: the OpenAI Files and Batches calls run in-process on upstream providers, with
 * the gateway's own provider code and no server, Fastify or database. See docs/sdk.md.
 *
 * This module (and everything it imports) must not load `fastify`, `pg`, `better-sqlite3` or
 * `kysely`: `test/sdk/import-boundary.test.ts` checks the built package.
 */
export {
  createFile,
  retrieveFile,
  fileContent,
  deleteFile,
  listFiles,
  createBatch,
  retrieveBatch,
  cancelBatch,
  listBatches,
  waitForBatch,
  createClient,
  type BatchgateClient,
  type DeploymentInfo,
  type FunctionOptions,
} from './client.js';
export { createRouter, type Router, type RouterOptions, type RouterId, type RouterIdInput, type RouterCreateFileParams, type RouterListParams } from './router.js';
export {
  DEFAULT_STATE_DIR,
  resultFileId,
  parseResultFileId,
  type CallOptions,
  type CreateBatchParams,
  type CreateFileParams,
  type FileContent,
  type ListFilesParams,
  type ListParams,
  type SdkOptions,
} from './engine.js';
export { SdkError, isSdkError, type SdkErrorCode } from './errors.js';
export { FileLineKeys } from './state.js';
export type { UploadSource } from './source.js';
export { SDK_PROVIDERS, type SdkProvider, type ProviderTarget, type ModelListDeployment, type Target, type Env } from './target.js';
export type { WaitOptions } from './wait.js';
export type { LineKey, LineKeyRepository } from '../domain/ports/line-keys.js';
export type {
  Batch,
  BatchError,
  BatchRequestCounts,
  BatchStatus,
  BatchUsage,
  BatchInputLine,
  ExpiresAfter,
  FileDeleted,
  FileObject,
  FilePurpose,
  FileStatus,
  ListEnvelope,
} from '../contracts/openai.js';
