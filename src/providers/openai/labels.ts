/**
 * How an OpenAI-style upstream keeps the gateway's ids, so a copy or batch whose answer never got
 * recorded (the gateway was killed in between) can still be found: a file's upstream filename is
 * prefixed with the gateway file id, and a batch carries the gateway batch id in `metadata`.
 * Both are removed again before anything reaches the domain.
 */
import { parseGatewayId } from '../../domain/ids.js';

/** The metadata key; clients cannot see it, and a client's own value under it is replaced. */
export const BATCH_LABEL_KEY = 'batchgate_batch_id';
/** OpenAI allows 16 metadata pairs (wire.md §2.2): a create that already uses all of them goes unlabelled. */
const MAX_METADATA_PAIRS = 16;

const SEPARATOR = '__';

export const labelledFilename = (label: string, filename: string): string => `${label}${SEPARATOR}${filename}`;

/** The label and the client's filename of an upstream filename. */
export const splitFilename = (upstream: string | null): { label: string | null; filename: string | null } => {
  if (upstream === null) return { label: null, filename: null };
  const at = upstream.indexOf(SEPARATOR);
  const label = at === -1 ? null : parseGatewayId('file', upstream.slice(0, at));
  return label === null ? { label: null, filename: upstream } : { label, filename: upstream.slice(at + SEPARATOR.length) };
};

export const labelledMetadata = (
  metadata: Readonly<Record<string, string>> | null,
  label: string,
): Readonly<Record<string, string>> => {
  const own = Object.fromEntries(Object.entries(metadata ?? {}).filter(([k]) => k !== BATCH_LABEL_KEY));
  if (Object.keys(own).length >= MAX_METADATA_PAIRS) return own;
  return { ...own, [BATCH_LABEL_KEY]: label };
};

/** The client's metadata (null when it sent none) and the label, from an upstream batch's metadata. */
export const splitMetadata = (
  metadata: Readonly<Record<string, string>> | null,
): { label: string | null; metadata: Readonly<Record<string, string>> | null } => {
  if (metadata === null || !(BATCH_LABEL_KEY in metadata)) return { label: null, metadata };
  const { [BATCH_LABEL_KEY]: label, ...rest } = metadata;
  return { label: label ?? null, metadata: Object.keys(rest).length === 0 ? null : rest };
};
