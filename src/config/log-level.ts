/**
 * The log level: `--log-level` wins, then LiteLLM's `--detailed_debug` (debug), then LiteLLM's
 * `LITELLM_LOG` environment variable, then `info`. Both spellings are understood everywhere:
 * pino's level names and Python's (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`), in any case.
 */
import type { Diagnostics } from './diagnostics.js';
import { envValue, type Env } from './env.js';
import { LOG_LEVELS, type LoadConfigInput, type LogLevel } from './types.js';

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

const PYTHON_NAMES: Readonly<Record<string, LogLevel>> = { warning: 'warn', critical: 'fatal' };

/** `WARNING` → `warn`, `debug` → `debug`; undefined for a name that is neither pino's nor Python's. */
export const parseLogLevel = (text: string): LogLevel | undefined => {
  const name = text.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(name) ? (name as LogLevel) : PYTHON_NAMES[name];
};

const EXPECTED = `one of ${LOG_LEVELS.join(', ')} (or DEBUG, INFO, WARNING, ERROR, CRITICAL)`;

export function readLogLevel(overrides: LoadConfigInput['overrides'], env: Env, diag: Diagnostics): LogLevel {
  const flag = overrides?.logLevel;
  if (flag !== undefined) {
    const level = parseLogLevel(flag);
    if (level !== undefined) return level;
    diag.problem(`--log-level must be ${EXPECTED}`);
    return DEFAULT_LOG_LEVEL;
  }
  if (overrides?.detailedDebug === true) return 'debug';
  const litellmLog = envValue(env, 'LITELLM_LOG');
  if (litellmLog === undefined) return DEFAULT_LOG_LEVEL;
  const level = parseLogLevel(litellmLog);
  // A value LiteLLM may accept and we do not (an environment shared with it) is no reason to stay down.
  if (level === undefined) diag.warn(`environment variable LITELLM_LOG must be ${EXPECTED}; logging at ${DEFAULT_LOG_LEVEL}`);
  return level ?? DEFAULT_LOG_LEVEL;
}
