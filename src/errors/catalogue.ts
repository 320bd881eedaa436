/**
 * Every error batchgate raises, declared once: stable code, HTTP status and OpenAI error `type`.
 * `http/error-handler.ts` is the only place that turns these into responses; `docs/errors.md`
 * lists the same codes and a test keeps the two in step.
 */
export const ERROR_CATALOGUE = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  missing_required_parameter: { status: 400, type: 'invalid_request_error' },
  invalid_file_format: { status: 400, type: 'invalid_request_error' },
  empty_file: { status: 400, type: 'invalid_request_error' },
  invalid_json_line: { status: 400, type: 'invalid_request_error' },
  duplicate_custom_id: { status: 400, type: 'invalid_request_error' },
  url_mismatch: { status: 400, type: 'invalid_request_error' },
  model_mismatch: { status: 400, type: 'invalid_request_error' },
  model_not_found: { status: 400, type: 'invalid_request_error' },
  no_deployment: { status: 400, type: 'invalid_request_error' },
  outside_deployment_limits: { status: 400, type: 'invalid_request_error' },
  unsupported_operation: { status: 400, type: 'invalid_request_error' },
  invalid_state: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  model_access_denied: { status: 403, type: 'permission_error' },
  admin_only: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  idempotency_conflict: { status: 409, type: 'invalid_request_error' },
  file_too_large: { status: 413, type: 'invalid_request_error' },
  too_many_lines: { status: 413, type: 'invalid_request_error' },
  headers_too_large: { status: 431, type: 'invalid_request_error' },
  budget_exceeded: { status: 429, type: 'budget_exceeded' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  upstream_error: { status: 502, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'server_error' },
  deployments_unavailable: { status: 503, type: 'server_error' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
