/**
 * LiteLLM settings that batchgate does not honour, named at start-up instead of dropped in
 * silence (issue 8 point 8). This module is the one place that decides which keys those are:
 *
 * - a key LiteLLM documents at a level (the `litellm` lists of `keys.ts`) that batchgate does not
 *   read (not in `ours`) is ignored, so it gets one warning, whatever the number of deployments
 *   that set it. A module that starts reading one adds it to `ours`: that alone ends its warning;
 * - except keys that only describe a deployment (`QUIET`: `max_tokens`, `supports_vision`, …) and
 *   values that ask for what batchgate does anyway (`AS_BATCHGATE_DOES`: `routing_strategy:
 *   simple-shuffle`), which change nothing by being ignored;
 * - the callback lists (`callbacks`, `success_callback`, `failure_callback`) are read for
 *   `prometheus` (`GET /metrics`); every other callback they name gets the warning.
 *
 * Keys LiteLLM does not document are not warned about: they are as likely to be a newer LiteLLM's
 * as anyone's, and `typos.ts` already stops start-up on a near-miss of a key we read.
 */
import { isMapping, keyPath, type Diagnostics, type Mapping } from './diagnostics.js';
import {
  GENERAL_SETTINGS,
  LITELLM_PARAMS,
  LITELLM_SETTINGS,
  MODEL_INFO,
  ROUTER_SETTINGS,
  TOP_LEVEL,
  type KeyLevel,
} from './keys.js';

/** The callback lists of `litellm_settings`; the only callback batchgate implements. */
export const CALLBACK_KEYS = ['callbacks', 'success_callback', 'failure_callback'] as const;
export const PROMETHEUS_CALLBACK = 'prometheus';

/** The names a callback list holds: LiteLLM takes a list, and a lone string for one. */
export const callbackNames = (value: unknown): string[] => {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  return items.filter((item): item is string => typeof item === 'string' && item.trim() !== '').map((s) => s.trim());
};

/** Keys that describe a deployment rather than configure behaviour: ignoring them changes nothing. */
const QUIET: ReadonlyMap<KeyLevel, ReadonlySet<string>> = new Map([
  // `tpm` is shown in /model_group/info; LiteLLM routes by it only with usage-based routing (itself
  // warned about as `routing_strategy`) or when a deployment has neither weight nor rpm.
  [LITELLM_PARAMS, new Set(['tpm'])],
  [
    MODEL_INFO,
    new Set([
      'tpm', 'max_tokens', 'max_input_tokens', 'max_output_tokens', 'team_public_model_name', 'tier', 'db_model',
      'updated_at', 'updated_by', 'created_at', 'created_by', 'litellm_provider', 'description',
      'supported_openai_params', 'key', 'hidden', 'output_vector_size',
    ]),
  ],
]);

/** Values that ask LiteLLM for what batchgate does anyway. */
const AS_BATCHGATE_DOES: ReadonlyMap<KeyLevel, Readonly<Record<string, (value: unknown) => boolean>>> = new Map([
  [ROUTER_SETTINGS, { routing_strategy: (v: unknown) => v === 'simple-shuffle' }],
  [
    LITELLM_SETTINGS,
    {
      // batchgate always logs JSON, and every file and batch id it hands out is a managed one.
      json_logs: (v: unknown) => v === true,
      require_managed_files: (v: unknown) => v === true,
      set_verbose: (v: unknown) => v === false,
    },
  ],
]);

/** What to use instead, where batchgate has its own way of doing what the key asks. */
const INSTEAD: Readonly<Record<string, string>> = {
  set_verbose: 'use --log-level debug, --detailed_debug or LITELLM_LOG=DEBUG',
  json_logs: 'logs are always JSON',
};

const isSet = (value: unknown): boolean =>
  value !== undefined &&
  value !== null &&
  !(Array.isArray(value) && value.length === 0) &&
  !(isMapping(value) && Object.keys(value).length === 0);

const isIgnored = (key: string, value: unknown, level: KeyLevel): boolean =>
  isSet(value) &&
  level.litellm.includes(key) &&
  !level.ours.includes(key) &&
  QUIET.get(level)?.has(key) !== true &&
  !(level.litellmPrefixes ?? []).some((prefix) => key.startsWith(prefix)) &&
  AS_BATCHGATE_DOES.get(level)?.[key]?.(value) !== true;

const message = (path: string, key: string): string =>
  `${path} is a LiteLLM setting that batchgate ignores${INSTEAD[key] === undefined ? '' : ` (${INSTEAD[key]})`}`;

/** Warns about the ignored keys of one mapping (a section). */
const warnSection = (mapping: unknown, path: string, level: KeyLevel, diag: Diagnostics): void => {
  if (!isMapping(mapping)) return;
  for (const [key, value] of Object.entries(mapping)) {
    if (isIgnored(key, value, level)) diag.warn(message(keyPath(path, key), key));
  }
};

/** `model_list[].<part>.<key>`, once per key, naming the model groups that set it. */
const warnDeployments = (modelList: unknown, part: 'litellm_params' | 'model_info', level: KeyLevel, diag: Diagnostics): void => {
  if (!Array.isArray(modelList)) return;
  const groupsByKey = new Map<string, Set<string>>();
  for (const entry of modelList) {
    if (!isMapping(entry) || !isMapping(entry[part])) continue;
    const group = typeof entry.model_name === 'string' ? entry.model_name : '?';
    for (const [key, value] of Object.entries(entry[part])) {
      if (!isIgnored(key, value, level)) continue;
      const groups = groupsByKey.get(key) ?? new Set<string>();
      groups.add(group);
      groupsByKey.set(key, groups);
    }
  }
  for (const [key, groups] of groupsByKey) {
    diag.warn(`${message(`model_list[].${part}.${key}`, key)} (set for ${[...groups].join(', ')})`);
  }
};

/** Callbacks other than `prometheus`, one warning per list naming them all. */
const warnCallbacks = (section: unknown, diag: Diagnostics): void => {
  if (!isMapping(section)) return;
  for (const key of CALLBACK_KEYS) {
    const others = callbackNames(section[key]).filter((name) => name !== PROMETHEUS_CALLBACK);
    if (others.length === 0) continue;
    diag.warn(
      `litellm_settings.${key}: ${others.map((name) => `'${name}'`).join(', ')} — LiteLLM callbacks that batchgate ignores ` +
        `(only '${PROMETHEUS_CALLBACK}' is honoured: it turns on GET /metrics)`,
    );
  }
};

/** One warning per LiteLLM setting of `root` (the parsed config.yaml) that batchgate ignores. */
export function warnIgnoredKeys(root: Mapping, diag: Diagnostics): void {
  warnSection(root, '', TOP_LEVEL, diag);
  warnDeployments(root.model_list, 'litellm_params', LITELLM_PARAMS, diag);
  warnDeployments(root.model_list, 'model_info', MODEL_INFO, diag);
  warnSection(root.general_settings, 'general_settings', GENERAL_SETTINGS, diag);
  warnSection(root.litellm_settings, 'litellm_settings', LITELLM_SETTINGS, diag);
  warnCallbacks(root.litellm_settings, diag);
  warnSection(root.router_settings, 'router_settings', ROUTER_SETTINGS, diag);
}
