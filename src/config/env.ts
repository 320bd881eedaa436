/**
 * `os.environ/NAME` references, LiteLLM's way of keeping secrets out of config.yaml. They are
 * resolved once, here, from the environment the caller passed in (never `process.env`), so the
 * rest of the product only ever sees plain values.
 */
import { Diagnostics, indexPath, isMapping, keyPath, type Mapping } from './diagnostics.js';

export type Env = Readonly<Record<string, string | undefined>>;

const PREFIX = 'os.environ/';

/**
 * Stands in for a reference whose variable is not set. The problem is already reported where
 * the reference was found, so field checks skip this value instead of adding a second,
 * misleading message ("must be a non-empty string") about the same line.
 */
export const UNRESOLVED: unique symbol = Symbol('unresolved os.environ reference');

/** An environment variable, treating an empty value like an unset one (as compose files leave them). */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Returns a copy of `value` with every `os.environ/NAME` string replaced by the variable's
 * value; a missing variable is a problem naming it and the path where it was used.
 */
export function resolveEnvRefs(value: unknown, path: string, env: Env, diag: Diagnostics): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(PREFIX)) return value;
    const name = value.slice(PREFIX.length);
    if (name === '') {
      diag.problem(`${path}: '${PREFIX}' must be followed by an environment variable name`);
      return UNRESOLVED;
    }
    const resolved = env[name];
    if (resolved === undefined) {
      diag.problem(`${path}: environment variable ${name} is not set`);
      return UNRESOLVED;
    }
    // Set but empty (a compose file's `KEY=`) would reach the upstream as no key at all.
    if (resolved.trim() === '') {
      diag.problem(`${path}: environment variable ${name} is set but empty; give it a value or remove the reference`);
      return UNRESOLVED;
    }
    return resolved;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => resolveEnvRefs(item, indexPath(path, i), env, diag));
  }
  if (isMapping(value)) {
    const out: Mapping = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = resolveEnvRefs(item, keyPath(path, key), env, diag);
    }
    return out;
  }
  return value;
}

/**
 * LiteLLM copies the top-level `environment_variables` mapping into the process environment
 * before reading anything else, so configs rely on it to feed their own `os.environ/` references.
 * We do the same without touching `process.env`: the returned lookup is the caller's environment
 * overlaid with those values (the config wins, as it does in LiteLLM).
 */
export function withConfigEnvironment(base: Env, section: unknown, diag: Diagnostics): Env {
  if (section === undefined || section === null) return base;
  if (!isMapping(section)) {
    diag.problem('environment_variables must be a mapping of variable names to values');
    return base;
  }
  const merged: Record<string, string | undefined> = { ...base };
  for (const [name, raw] of Object.entries(section)) {
    if (raw === null || raw === undefined) continue;
    const path = keyPath('environment_variables', name);
    if (typeof raw === 'string' && raw.startsWith(PREFIX)) {
      // An indirection to a variable that is not set leaves this one unset rather than failing:
      // these often feed integrations batchgate ignores. A reference that needs it still fails.
      const resolved = base[raw.slice(PREFIX.length)];
      if (resolved === undefined) {
        diag.warn(`${path}: environment variable ${raw.slice(PREFIX.length)} is not set; ${name} stays unset`);
        continue;
      }
      merged[name] = resolved;
    } else if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
      merged[name] = String(raw);
    } else {
      diag.problem(`${path} must be a string, number or boolean`);
    }
  }
  return merged;
}
