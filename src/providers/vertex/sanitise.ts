/**
 * Cleans text Google wrote (error messages, failed lines' `status`) before it becomes an
 * `UpstreamError` or an error-file line: Vertex and GCS name the objects, buckets, projects and
 * jobs they could not use, and a client must see none of them. Known names are replaced by what
 * they are ("the input object"), anything else of their shape by a generic phrase.
 */

/** A name of this deployment and the words that replace it. */
export type Replacement = readonly [needle: string, replacement: string];

export interface CleanContext {
  /** Exact strings (the object URIs of this call), replaced first, longest first. */
  readonly known?: readonly Replacement[];
  /** Credentials (the current access token): replaced by `[REDACTED]`. */
  readonly secrets?: readonly string[];
  readonly bucket?: string;
  readonly project?: string;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const END = `[^\\s"'\`,;)\\]}]`;

/** Shorter names are not replaced bare: a 3-letter project id would match ordinary words. */
const MIN_BARE_CHARS = 4;

export const cleanUpstreamText = (text: string, ctx: CleanContext = {}): string => {
  let out = text;
  for (const secret of ctx.secrets ?? []) if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  const known = [...(ctx.known ?? [])].filter(([needle]) => needle !== '').sort((a, b) => b[0].length - a[0].length);
  for (const [needle, replacement] of known) out = out.split(needle).join(replacement);
  out = out
    .replace(new RegExp(`gs://${END}+`, 'g'), 'a Cloud Storage object')
    .replace(new RegExp(`\\bprojects/${END}+`, 'g'), 'a Vertex AI resource')
    .replace(new RegExp(`https?://${END}+`, 'g'), (url) => (url.startsWith('https://cloud.google.com/') ? url : 'an upstream URL'));
  // GCS names objects as `bucket/name` ("No such object: my-bucket/batchgate/…").
  if (ctx.bucket !== undefined) out = out.replace(new RegExp(`${escape(ctx.bucket)}/${END}*`, 'g'), 'the object');
  for (const [name, word] of [
    [ctx.bucket, 'the bucket'],
    [ctx.project, 'the project'],
  ] as const) {
    if (name === undefined || name.length < MIN_BARE_CHARS) continue;
    out = out.replace(new RegExp(`(?<![A-Za-z0-9_.-])${escape(name)}(?![A-Za-z0-9_-])`, 'g'), word);
  }
  return out;
};
