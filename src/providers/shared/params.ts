/**
 * Typed reads of `deployment.params` (LiteLLM's `litellm_params`, `os.environ/` already resolved).
 * Only adapters read params; the config loader validates the shape, these helpers only narrow.
 */
import type { Deployment } from '../../domain/deployment.js';

/** The non-empty string param `key`, or null when missing, empty or not a string. */
export const stringParam = (deployment: Deployment, key: string): string | null => {
  const value = deployment.params[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
};

/** Strips trailing slashes so paths can be appended with a single `/`. */
export const trimTrailingSlashes = (url: string): string => url.replace(/\/+$/, '');

/** Every credential-like param, so error messages can be scrubbed of all of them. */
export const secretParams = (deployment: Deployment, keys: readonly string[]): string[] =>
  keys.flatMap((key) => {
    const value = stringParam(deployment, key);
    return value === null ? [] : [value];
  });
