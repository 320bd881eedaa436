/**
 * Removes a deployment's secrets from text that may reach a client or a log. Upstreams sometimes
 * echo the credential they rejected (OpenAI masks it, proxies in front of it may not), so every
 * upstream message passes through here before it becomes an `UpstreamError`.
 */

/** Secrets shorter than this are not redacted: they would match ordinary words. */
const MIN_SECRET_LENGTH = 6;

export const redactSecrets = (text: string, secrets: readonly string[]): string => {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    out = out.split(secret).join('[REDACTED]');
  }
  return out;
};
