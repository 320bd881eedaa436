/**
 * What `batchgate config check <file>` does (loaded only when it runs: it builds every provider
 * adapter, cloud SDKs included). It validates a config as start-up does (the loader, then every
 * deployment's adapter built by the provider registry, which is where a missing region or an
 * unknown provider is found) and prints what would be served, secrets redacted. Exit 2 with
 * every problem otherwise, so CI can check a config before it is deployed.
 */
import { ConfigError, loadConfig } from '../../config/load.js';
import { processEnv } from '../../config/process-env.js';
import { redactConfig } from '../../config/redact.js';
import type { GatewayConfig } from '../../config/types.js';
import { createProviderRegistry, PROVIDER_KINDS } from '../../providers/registry.js';
import { note, printJson, say } from '../command-kit.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';

export interface CheckFlags {
  readonly json?: boolean;
}

/** Problems a started gateway would refuse to start on; none when it would start. */
async function adapterProblems(config: GatewayConfig): Promise<string[]> {
  const registry = createProviderRegistry({ timeoutMs: config.upstreamTimeoutMs, env: processEnv() });
  try {
    return registry.problems(config.deployments);
  } finally {
    await registry.close();
  }
}

const failed = (file: string, problems: readonly string[], json: boolean): never => {
  if (json) printJson({ ok: false, file, problems });
  throw new CliError([`${file}: invalid configuration (${problems.length} problem(s)):`, ...problems.map((p) => `  - ${p}`)].join('\n'), EXIT.usage);
};

export async function runConfigCheck(file: string, flags: CheckFlags): Promise<ExitCode> {
  const json = flags.json === true;
  let loaded: GatewayConfig;
  try {
    loaded = await loadConfig({ configPath: file, env: processEnv() }, { knownProviders: PROVIDER_KINDS });
  } catch (err) {
    if (err instanceof ConfigError) return failed(file, err.problems, json);
    throw err;
  }
  const problems = await adapterProblems(loaded);
  if (problems.length > 0) return failed(file, problems, json);
  // Only the redacted copy is printed: nothing below may read `loaded` for output.
  const shown = redactConfig(loaded);
  const deployments = shown.deployments.map((d) => ({
    id: d.id,
    model_group: d.modelGroup,
    provider: d.provider,
    upstream_model: d.upstreamModel,
    params: d.params,
  }));
  if (json) {
    printJson({ ok: true, file, deployments, warnings: shown.warnings });
    return EXIT.ok;
  }
  for (const w of shown.warnings) note(`warning: ${w}`);
  say(`${file}: ok, ${deployments.length} deployment(s)`);
  for (const d of deployments) {
    say(`  ${d.id}`);
    say(`    model group     ${d.model_group}`);
    say(`    provider        ${d.provider}`);
    say(`    upstream model  ${d.upstream_model}`);
    for (const [key, value] of Object.entries(d.params)) say(`    ${key.padEnd(15)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  say(`  store            ${shown.databaseUrl === null ? `sqlite under ${shown.dataDir}` : `postgres ${shown.databaseUrl}`}`);
  say(`  master key       ${shown.masterKey === null ? 'none: the gateway is open to anyone who can reach it' : 'set'}`);
  return EXIT.ok;
}
