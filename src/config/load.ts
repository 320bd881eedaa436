/**
 * The configuration loader: a LiteLLM `config.yaml` (unchanged), the environment and CLI flags →
 * one validated, deep-frozen `GatewayConfig`. This is the only module that reads environment
 * values, and it reads them from `input.env`, never `process.env`, so tests stay hermetic.
 * Every problem is collected before failing, so one run shows the operator all of them.
 */
import type { Deployment } from '../domain/deployment.js';
import type { GatewayConfig, LoadConfigInput } from './types.js';
import { readBlobStorage } from './blob-storage.js';
import { defaultOpenAiDeployment, NO_DEPLOYMENTS_WITHOUT_CONFIG } from './default-deployment.js';
import { readDeployments, type DeploymentOptions } from './deployments.js';
import { withProviderDefaults } from './provider-defaults.js';
import { Diagnostics, isMapping, type Mapping } from './diagnostics.js';
import { withConfigEnvironment, type Env } from './env.js';
import { ConfigError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { warnIgnoredKeys } from './ignored-keys.js';
import { TOP_LEVEL } from './keys.js';
import { readLogLevel } from './log-level.js';
import { readRuntime } from './runtime.js';
import { readSettings } from './settings.js';
import { checkKeys } from './typos.js';
import { readConfigFile } from './yaml-file.js';

export { ConfigError } from './errors.js';
export { redactConfig } from './redact.js';

export type LoadConfigOptions = DeploymentOptions;

interface Source {
  readonly root: Mapping;
  readonly env: Env;
  readonly deployments: Deployment[];
}

/** Without a file: the quick-start OpenAI deployment, settings from the environment only. */
function sourceWithoutFile(env: Env, diag: Diagnostics): Source {
  const deployment = defaultOpenAiDeployment(env);
  if (deployment === undefined) diag.problem(NO_DEPLOYMENTS_WITHOUT_CONFIG);
  return { root: {}, env, deployments: deployment === undefined ? [] : [deployment] };
}

async function sourceFromFile(
  path: string,
  baseEnv: Env,
  diag: Diagnostics,
  options: LoadConfigOptions,
): Promise<Source> {
  const file = await readConfigFile(path);
  file.warnings.forEach((warning) => diag.warn(warning));
  // An empty file parses to null: it is a config with no sections, reported as having no deployments.
  const root = file.root ?? {};
  if (!isMapping(root)) {
    throw new ConfigError(['top level must be a mapping of sections (model_list, general_settings, …)'], path);
  }
  checkKeys(root, '', TOP_LEVEL, diag);
  // Read first, as LiteLLM does: its values feed the `os.environ/` references everywhere else.
  const env = withConfigEnvironment(baseEnv, root.environment_variables, diag);
  return { root, env, deployments: readDeployments(root.model_list, env, diag, options) };
}

/**
 * Loads and validates the configuration. Async because it reads the config file; throws a
 * `ConfigError` listing every problem found.
 */
export async function loadConfig(input: LoadConfigInput, options: LoadConfigOptions = {}): Promise<GatewayConfig> {
  const diag = new Diagnostics();
  const { root, env, deployments: configured } =
    input.configPath === undefined
      ? sourceWithoutFile(input.env, diag)
      : await sourceFromFile(input.configPath, input.env, diag, options);

  const deployments = withProviderDefaults(configured, root, diag);
  const settings = readSettings(root, env, diag);
  checkAliases(settings.modelGroupAliases, deployments, diag);
  const runtime = readRuntime(input.overrides, env, diag);
  const logLevel = readLogLevel(input.overrides, env, diag);
  // After the runtime: the filesystem store defaults to a directory of the data dir.
  const blobs = readBlobStorage(root, env, runtime.dataDir, diag);
  warnIgnoredKeys(root, diag);
  if (diag.problems.length > 0) throw new ConfigError(diag.problems, input.configPath);

  const config: GatewayConfig = { deployments, ...settings, ...runtime, blobs, logLevel, warnings: diag.warnings };
  return deepFreeze(config);
}

/** An alias must lead to a configured group, and must not shadow one. */
function checkAliases(aliases: Readonly<Record<string, string>>, deployments: readonly Deployment[], diag: Diagnostics): void {
  const groups = new Set(deployments.map((d) => d.modelGroup));
  for (const [alias, group] of Object.entries(aliases)) {
    if (groups.has(alias)) diag.problem(`router_settings.model_group_alias.${alias}: '${alias}' is already a model group`);
    else if (!groups.has(group)) diag.problem(`router_settings.model_group_alias.${alias}: '${group}' is not a model group in model_list`);
  }
}
