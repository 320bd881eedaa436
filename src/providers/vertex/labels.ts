/**
 * What the Vertex adapter keeps of ours upstream, in Google labels (keys and values ≤ 63 chars of
 * lowercase letters, digits, `_` and `-`): each request's line number, echoed in its output line,
 * and the gateway batch id on the job. Batch ids are mixed-case base62, so upper-case letters are
 * escaped as `-` + the letter (and `-` itself as `--`), which decodes back exactly.
 */

export const LINE_LABEL_KEY = 'batchgate_line';
export const BATCH_LABEL_KEY = 'batchgate_batch';

const MAX_LABEL_CHARS = 63;

/** The label value of `id`, or null when it cannot be one (foreign characters, too long). */
export const encodeLabelValue = (id: string): string | null => {
  let out = '';
  for (const c of id) {
    if (/[a-z0-9_]/.test(c)) out += c;
    else if (c === '-') out += '--';
    else if (/[A-Z]/.test(c)) out += `-${c.toLowerCase()}`;
    else return null;
  }
  return out.length <= MAX_LABEL_CHARS ? out : null;
};

/** Inverse of {@link encodeLabelValue}; null for a value it cannot have written. */
export const decodeLabelValue = (value: string): string | null => {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c !== '-') {
      out += c;
      continue;
    }
    const next = value.charAt(++i);
    if (next === '-') out += '-';
    else if (/[a-z]/.test(next)) out += next.toUpperCase();
    else return null;
  }
  return out;
};

/** The line number an output line's echoed `request.labels` carries, or null. */
export const lineNoOfLabels = (labels: unknown): number | null => {
  if (typeof labels !== 'object' || labels === null) return null;
  const value = (labels as Record<string, unknown>)[LINE_LABEL_KEY];
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return null;
  return Number(value);
};
