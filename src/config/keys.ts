/**
 * Keys per config level. `ours` are the keys batchgate reads (a near-miss of one of them is
 * almost certainly a typo that would silently drop a setting). `litellm` are other keys LiteLLM
 * documents at that level: they are accepted and ignored, and listing them keeps legitimate keys
 * that happen to be close to ours (`tpm` next to `rpm`, `database_type` next to `database_url`)
 * from ever being reported. Keys not listed anywhere are accepted silently unless they are a
 * near-miss of ours: LiteLLM has hundreds and grows every week.
 */
export interface KeyLevel {
  readonly ours: readonly string[];
  readonly litellm: readonly string[];
  /** Families of LiteLLM keys (`supports_vision`, `supports_function_calling`, …). */
  readonly litellmPrefixes?: readonly string[];
}

export const TOP_LEVEL: KeyLevel = {
  ours: ['model_list', 'general_settings', 'litellm_settings', 'router_settings', 'environment_variables'],
  litellm: [
    'files_settings', 'credential_list', 'mcp_servers', 'mcp_aliases', 'guardrails', 'callback_settings',
    'vector_store_registry', 'search_tools', 'include', 'assistant_settings', 'finetune_settings', 'prompts',
    'worker_registry', 'policies', 'policy_attachments', 'model_group_settings', 'agent_list',
    'pass_through_endpoints', 'tools',
  ],
};

export const MODEL_ENTRY: KeyLevel = {
  ours: ['model_name', 'litellm_params', 'model_info'],
  litellm: [],
};

/** Pricing keys LiteLLM accepts in both `litellm_params` and `model_info`. */
const PRICING = [
  'input_cost_per_token', 'output_cost_per_token', 'input_cost_per_token_batches',
  'output_cost_per_token_batches', 'input_cost_per_second', 'output_cost_per_second',
  'input_cost_per_character', 'output_cost_per_character', 'input_cost_per_pixel', 'output_cost_per_pixel',
  'input_cost_per_image', 'output_cost_per_image', 'input_cost_per_audio_token', 'output_cost_per_audio_token',
  'input_cost_per_query', 'output_cost_per_reasoning_token', 'cache_creation_input_token_cost',
  'cache_read_input_token_cost', 'cache_creation_input_audio_token_cost', 'cache_read_input_audio_token_cost',
  'input_cost_per_token_above_128k_tokens', 'output_cost_per_token_above_128k_tokens',
  'input_cost_per_token_above_200k_tokens', 'output_cost_per_token_above_200k_tokens',
  'input_cost_per_token_priority', 'output_cost_per_token_priority', 'input_cost_per_token_flex',
  'output_cost_per_token_flex', 'tiered_pricing', 'cost_per_ptu_per_hour',
] as const;

export const LITELLM_PARAMS: KeyLevel = {
  // What the loader, the router, cost booking and the provider adapters read.
  ours: [
    'model', 'custom_llm_provider', 'api_key', 'api_base', 'api_version', 'organization', 'weight', 'rpm',
    'timeout', 'max_retries', 'vertex_project', 'vertex_location', 'vertex_credentials', 'gcs_bucket_name',
    'aws_access_key_id', 'aws_secret_access_key', 'aws_session_token', 'aws_region_name', 'aws_profile_name', 'aws_batch_role_arn', 's3_bucket_name', 's3_region_name',
    's3_output_bucket_name', 's3_encryption_key_id', 'azure_ad_token', 'input_cost_per_token', 'output_cost_per_token', 'input_cost_per_token_batches',
    'output_cost_per_token_batches', 'base_model',
    // Gateway-executed batches (deployments.ts checks them, the executor honours them).
    'mock_response', 'max_parallel_requests', 'tpm',
    // Vertex AI and Bedrock batches (providers/vertex, providers/bedrock).
    'bucket_name', 'gcs_api_base', 's3_endpoint_url', 's3_use_path_style', 's3_access_key_id', 's3_secret_access_key',
  ],
  litellm: [
    ...PRICING,
    // LiteLLM's assume-role and Entra client-credential params: not honoured (a start-up warning says so).
    'aws_role_name', 'aws_session_name', 'tenant_id', 'client_id', 'client_secret',
    'tpm', 'itpm', 'otpm', 'stream_timeout', 'num_retries', 'region_name', 'bucket_name', 'max_tokens',
    'headers', 'extra_headers', 'extra_body', 'use_in_pass_through', 'use_litellm_proxy',
    'use_chat_completions_api', 'use_xai_oauth', 'configurable_clientside_auth_params',
    'litellm_credential_name', 'litellm_trace_id', 'max_file_size_mb', 'default_api_key_tpm_limit',
    'default_api_key_rpm_limit', 'max_budget', 'budget_duration', 'keepalive_seconds',
    'allow_client_keepalive_override', 'merge_reasoning_content_in_choices', 'model_info', 'mock_response',
    'tags', 'tag_regex', 'auto_router_config_path', 'auto_router_config', 'auto_router_default_model',
    'auto_router_embedding_model', 'auto_router_max_input_chars', 'complexity_router_config',
    'complexity_router_default_model', 'adaptive_router_default_model', 'adaptive_router_config',
    'quality_router_config', 'quality_router_default_model', 'vector_store_id', 'azure_ad_token_provider',
    'azure_username', 'azure_password', 'azure_scope', 'azure_authority_host', 'vertex_ai_project',
    'vertex_ai_location', 'vertex_ai_credentials', 'aws_web_identity_token', 'aws_sts_endpoint',
    'aws_external_id', 'aws_bedrock_runtime_endpoint', 'aws_bedrock_project_id', 'bedrock_tags',
    's3_access_key_id', 's3_secret_access_key', 's3_endpoint_url', 's3_use_path_style',
    'watsonx_region_name', 'api_type', 'deployment_id', 'base_model', 'drop_params',
    'additional_drop_params', 'temperature', 'top_p', 'stop', 'seed', 'user', 'response_format',
    'reasoning_effort', 'thinking', 'parallel_tool_calls', 'max_completion_tokens', 'input_cost_per_token_cache_hit',
  ],
};

export const MODEL_INFO: KeyLevel = {
  ours: [
    'id', 'mode', 'base_model', 'rpm', 'input_cost_per_token',
    'output_cost_per_token', 'input_cost_per_token_batches', 'output_cost_per_token_batches',
    // `gateway` or `native`: who runs this deployment's batches (domain/executor/execution-mode.ts).
    'batch_execution', 'tpm',
    // The account's own Bedrock batch quotas (providers/bedrock/params.ts).
    'bedrock_min_records_per_job', 'bedrock_max_records_per_job', 'bedrock_max_input_file_bytes',
  ],
  litellm: [
    ...PRICING,
    'tpm', 'max_tokens', 'max_input_tokens', 'max_output_tokens', 'team_public_model_name', 'tier', 'db_model',
    'updated_at', 'updated_by', 'created_at', 'created_by', 'blocked', 'ptu_count', 'ptu_effective_from',
    'ptu_effective_to', 'allow_fail_open', 'enable_tag_filtering', 'litellm_provider', 'description',
    'health_check_model', 'health_check_timeout', 'health_check_max_tokens', 'health_check_voice',
    'disable_background_health_check', 'access_via_team_ids', 'direct_access_groups', 'access_groups', 'team_id',
    'supported_openai_params', 'key', 'tags', 'hidden', 'output_vector_size', 'use_in_pass_through',
  ],
  litellmPrefixes: ['supports_'],
};

export const GENERAL_SETTINGS: KeyLevel = {
  ours: [
    'master_key',
    'metrics',
    'metrics_public',
    'database_url',
    'database_schema',
    'max_batch_file_size_mb',
    'max_batch_file_records',
    'upload_idle_timeout_seconds',
    'pending_grace_seconds',
    'webhooks',
    'webhook_settings',
    'batch_freshness_seconds',
    'batch_poll_min_interval_seconds',
    'proxy_batch_polling_interval',
    'worker_concurrency',
    'worker_lease_seconds',
    'blob_storage',
    'executor_concurrency',
    'executor_chunk_lines',
    'executor_lease_seconds',
    'executor_max_retries',
    'executor_retry_max_wait_seconds',
  ],
  litellm: [
    'alerting', 'alert_types', 'alert_to_webhook_url', 'alerting_args', 'alerting_threshold',
    'store_model_in_db', 'disable_spend_logs', 'disable_error_logs',
    'background_health_checks', 'health_check_interval', 'health_check_concurrency', 'health_check_details',
    'health_check_skip_disabled_background_models', 'background_health_check_model_groups',
    'use_shared_health_check', 'model_list_healthy_only', 'completion_model', 'embedding_model',
    'image_generation_model', 'moderation_model', 'plugins', 'key_management_system',
    'key_management_settings', 'use_google_kms', 'use_azure_key_vault', 'coordination_redis',
    'control_plane_url', 'database_connection_pool_limit', 'database_connection_timeout',
    'database_connect_timeout', 'database_socket_timeout', 'database_extra_connection_params',
    'database_disable_prepared_statements', 'database_type', 'database_args', 'otel', 'custom_auth',
    'custom_auth_settings', 'custom_sso', 'custom_key_generate', 'max_parallel_requests',
    'global_max_parallel_requests', 'max_request_size_mb', 'max_response_size_mb',
    'max_batch_file_uploads_per_day', 'max_file_downloads_per_minute', 'disable_batch_input_file_rate_limiting',
    'skip_batch_input_file_rate_limiting_for_providers', 'disable_batch_id_security',
    'disable_responses_id_security', 'forward_openai_project', 'allow_client_side_credentials',
    'proxy_config_reload_interval_seconds', 'cancel_on_disconnect', 'infer_model_from_keys', 'ui_access_mode',
    'allowed_routes', 'admin_only_routes', 'public_routes', 'reject_clientside_metadata_tags',
    'enable_public_model_hub', 'pass_through_request_timeout', 'pass_through_endpoints', 'user_header_name',
    'user_header_mappings', 'supported_db_objects', 'user_mcp_management_mode', 'store_prompts_in_spend_logs',
    'disable_auto_add_proxy_admin_to_teams', 'scheduled_job_stagger', 'maximum_spend_logs_retention_period',
    'maximum_spend_logs_retention_interval', 'use_spend_logs_partitioning', 'mcp_internal_ip_ranges',
    'mcp_trusted_proxy_ranges', 'trusted_proxy_ranges', 'forward_client_headers_to_llm_api',
    'disable_master_key_return', 'disable_retry_on_max_parallel_request_limit_error', 'disable_reset_budget',
    'disable_adding_master_key_hash_to_db', 'disable_prisma_schema_update', 'proxy_batch_write_at',
    'proxy_budget_rescheduler_min_time', 'proxy_budget_rescheduler_max_time', 'enable_jwt_auth',
    'litellm_jwtauth', 'enforce_user_param', 'enable_oauth2_auth', 'enable_oauth2_proxy_auth',
    'oauth2_config_mappings', 'allowed_ips', 'use_x_forwarded_for', 'service_account_settings',
    'role_permissions', 'user_api_key_cache_ttl', 'spend_report_frequency', 'enforced_params',
    'allow_requests_on_db_unavailable', 'allow_user_auth', 'disable_budget_reservation',
    'apply_user_budget_to_team_keys', 'user_url_validation', 'user_url_allowed_hosts',
    'provider_url_destination_allowed_hosts',
  ],
};

export const LITELLM_SETTINGS: KeyLevel = {
  ours: [
    'enable_loadbalancing_on_batch_endpoints',
    'request_timeout',
    // The default of general_settings.executor_max_retries after router_settings.num_retries.
    'num_retries',
    // Read for 'prometheus' (GET /metrics); their other entries are named as ignored (ignored-keys.ts).
    'callbacks',
    'success_callback',
    'failure_callback',
    'require_auth_for_metrics_endpoint',
    // The bucket of vertex_ai deployments that name none (config/provider-defaults.ts).
    'gcs_bucket_name',
  ],
  litellm: [
    'drop_params', 'modify_params', 'num_retries', 'callbacks', 'success_callback', 'failure_callback',
    'service_callback', 'set_verbose', 'json_logs', 'cache', 'cache_params', 'require_managed_files',
    'store_batch_line_items_in_callbacks', 'disable_vertex_batch_output_transformation',
    'turn_off_message_logging', 'redact_user_api_key_info', 'redact_messages_in_exceptions',
    'default_team_settings', 'default_key_generate_params', 'upperbound_key_generate_params',
    'default_internal_user_params', 'max_budget', 'budget_duration', 'context_window_fallbacks', 'fallbacks',
    'content_policy_fallbacks', 'default_fallbacks', 'allowed_fails', 'force_ipv4', 'telemetry', 'ssl_verify',
    'ssl_certificate', 'key_generation_settings', 'enable_json_schema_validation',
    'disable_end_user_cost_tracking', 'public_model_groups', 'public_model_groups_links',
    'max_internal_user_budget', 'internal_user_budget_duration', 'default_max_internal_user_budget',
    'enable_preview_features', 'mcp_aliases', 'guardrails', 'use_litellm_proxy', 'disable_hf_tokenizer_download',
    'check_provider_endpoint', 'model_group_settings', 'extra_spend_tag_headers', 'global_disable_no_log_param',
    'return_response_headers', 'cost_discount_config', 'cost_margin_config', 'disable_token_counter',
    'callback_settings', 's3_callback_params', 'datadog_params', 'generic_logger_endpoint',
    'prometheus_initialize_budget_metrics', 'custom_prometheus_metadata_labels', 'langfuse_default_tags',
    'max_end_user_budget', 'enable_azure_ad_token_refresh', 'default_redis_ttl',
    'disable_add_transform_inline_image_block',
  ],
};

export const ROUTER_SETTINGS: KeyLevel = {
  ours: ['allowed_fails', 'cooldown_time', 'timeout', 'model_group_alias', 'num_retries'],
  litellm: [
    'routing_strategy', 'routing_strategy_args', 'num_retries', 'max_retries', 'retry_after', 'retry_policy',
    'model_group_retry_policy', 'allowed_fails_policy', 'fallbacks', 'context_window_fallbacks',
    'content_policy_fallbacks', 'default_fallbacks', 'enable_pre_call_checks',
    'optional_pre_call_checks', 'redis_host', 'redis_port', 'redis_password', 'redis_url', 'redis_db',
    'cache_responses', 'cache_kwargs', 'caching_groups', 'client_ttl', 'default_litellm_params', 'set_verbose',
    'debug_level', 'stream_timeout', 'enable_tag_filtering', 'tag_routing_prefix', 'routing_groups',
    'provider_budget_config', 'disable_cooldowns', 'default_max_parallel_requests', 'default_priority',
    'polling_interval', 'model_group_affinity_config', 'deployment_affinity_ttl_seconds',
    'enable_health_check_routing', 'assistants_config', 'ignore_invalid_deployments', 'search_tools',
  ],
};

/**
 * `general_settings.blob_storage` (config/blob-storage.ts): batchgate's own section, so every key
 * it does not know is reported, a near-miss of one of these as a typo.
 */
export const BLOB_STORAGE: KeyLevel = {
  ours: [
    'type', 'path', 'bucket', 'endpoint', 'region', 'prefix', 'access_key_id', 'secret_access_key',
    'session_token', 'force_path_style',
  ],
  litellm: [],
};
