// @ts-check
// The API's shapes as the console reads them (src/contracts/openai.ts and the LiteLLM routes).
// Types only: importing this module at run time costs an empty module.

/**
 * @typedef {{ total: number, completed: number, failed: number }} RequestCounts
 * @typedef {{ code: string, message: string, param: string | null, line: number | null }} BatchError
 * @typedef {{ input_tokens: number, output_tokens: number, total_tokens: number,
 *   input_tokens_details?: { cached_tokens: number }, output_tokens_details?: { reasoning_tokens: number } }} Usage
 * @typedef {{ id: string, object: 'batch', endpoint: string, model?: string, status: string,
 *   errors: { data: BatchError[] } | null, input_file_id: string, output_file_id: string | null,
 *   error_file_id: string | null, completion_window: string, created_at: number,
 *   in_progress_at: number | null, expires_at: number | null, finalizing_at: number | null,
 *   completed_at: number | null, failed_at: number | null, expired_at: number | null,
 *   cancelling_at: number | null, cancelled_at: number | null, request_counts: RequestCounts,
 *   usage?: Usage, metadata: Record<string, string> | null }} Batch
 * @typedef {{ id: string, bytes: number, created_at: number, expires_at: number | null,
 *   filename: string, purpose: string, status: string, status_details: string | null }} FileObject
 */

/**
 * @template T
 * @typedef {{ data: T[], has_more: boolean, first_id: string | null, last_id: string | null }} List
 */

/**
 * @typedef {{ request_id: string, api_key: string | null, user: string | null, team_id: string | null,
 *   model_group: string | null, spend: number, prompt_tokens: number, completion_tokens: number,
 *   total_tokens: number, startTime: string,
 *   metadata: { status: string, deployment_id: string, requests_completed: number, requests_failed: number } }} SpendLog
 * @typedef {{ group_by_day: string, teams?: SpendGroup[], api_keys?: SpendGroup[] }} SpendDay
 * @typedef {{ team_id?: string | null, api_key?: string | null, total_spend: number,
 *   total_input_tokens: number, total_output_tokens: number, batches: number }} SpendGroup
 */

/**
 * @typedef {{ token: string, key_name: string, key_alias: string | null, user_id: string | null,
 *   team_id: string | null, models: string[], spend: number, max_budget: number | null,
 *   budget_duration: string | null, expires: string | null, created_at: string }} KeyView
 * @typedef {{ team_id: string, team_alias: string | null, models: string[], spend: number,
 *   max_budget: number | null, budget_duration: string | null }} TeamView
 * @typedef {{ id: string, model_group: string, provider: string, upstream_model: string,
 *   batch_execution: string, health: string, consecutive_failures: number, cooldown_until: string | null,
 *   last_error: string | null, batches_in_flight: number, batches_by_status: Record<string, number> }} DeploymentStatus
 * @typedef {{ model_name: string, litellm_params: { model: string }, model_info: { id: string } }} ModelInfo
 */

export {};
