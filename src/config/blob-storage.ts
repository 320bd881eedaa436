/**
 * `general_settings.blob_storage`: where the gateway keeps the bytes it owns (the inputs of the
 * batches it executes itself, the outputs it produces).
 *
 * ```yaml
 * general_settings:
 *   blob_storage:
 *     type: filesystem            # the default; one machine (or a shared volume)
 *     path: /var/lib/batchgate/blobs   # default <data dir>/blobs
 *   # or, for replicas on several machines:
 *   blob_storage:
 *     type: s3
 *     bucket: my-bucket                                     # required
 *     endpoint: https://s3.eu-west-1.amazonaws.com          # default https://s3.<region>.amazonaws.com; MinIO, R2, …
 *     region: eu-west-1                                     # default AWS_REGION, AWS_DEFAULT_REGION, us-east-1
 *     prefix: batchgate/                                    # default none
 *     access_key_id: os.environ/AWS_ACCESS_KEY_ID           # default AWS_ACCESS_KEY_ID
 *     secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY   # default AWS_SECRET_ACCESS_KEY
 *     session_token: os.environ/AWS_SESSION_TOKEN           # default AWS_SESSION_TOKEN, when both keys come from the environment
 *     force_path_style: true                                # default true when endpoint is set, else false
 * ```
 *
 * `S3BlobStore` signs with static credentials (SigV4) and speaks both addressing styles, so both
 * are accepted. Messages name the path, never a value (credentials come through here).
 */
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidBlobKeyError, validateBlobPrefix } from '../domain/ports/blob-store.js';
import { isMapping, keyPath, type Diagnostics, type Mapping } from './diagnostics.js';
import { envValue, resolveEnvRefs, UNRESOLVED, type Env } from './env.js';
import { anyString, boolean, httpUrl, nonEmptyString, readField, requireField, type Field } from './fields.js';
import { BLOB_STORAGE } from './keys.js';
import { checkKeys, suggestKey } from './typos.js';
import type { BlobStorageConfig } from './types.js';

export const BLOB_STORAGE_PATH = 'general_settings.blob_storage';

/** Under the data directory when no `path` is given. */
export const DEFAULT_BLOBS_DIR = 'blobs';
export const DEFAULT_S3_REGION = 'us-east-1';

const BLOB_STORAGE_TYPES = ['filesystem', 's3'] as const;
type BlobStorageType = (typeof BLOB_STORAGE_TYPES)[number];

/** The keys that mean something for one type only; set under the other, they are a mistake. */
const KEYS_OF: Readonly<Record<BlobStorageType, readonly string[]>> = {
  filesystem: ['path'],
  s3: [
    'bucket', 'endpoint', 'region', 'prefix', 'access_key_id', 'secret_access_key', 'session_token',
    'force_path_style',
  ],
};

const storageType: Field<BlobStorageType> = {
  schema: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(BLOB_STORAGE_TYPES)),
  expected: BLOB_STORAGE_TYPES.join(' or '),
};

/** What `S3BlobStore` accepts: no `/`, no white space. */
const bucketName: Field<string> = {
  schema: z.string().refine((s) => s !== '' && !/[/\s]/.test(s)),
  expected: 'a bucket name (non-empty, no / or white space)',
};

const isSet = (value: unknown): boolean => value !== undefined && value !== null;

/** Unknown keys: a near-miss of ours is a problem (typos.ts), anything else a warning. */
function checkSectionKeys(raw: Mapping, diag: Diagnostics): void {
  checkKeys(raw, BLOB_STORAGE_PATH, BLOB_STORAGE, diag);
  const absentOurs = BLOB_STORAGE.ours.filter((key) => !Object.hasOwn(raw, key));
  for (const key of Object.keys(raw)) {
    if (BLOB_STORAGE.ours.includes(key) || suggestKey(key, absentOurs) !== undefined) continue;
    diag.warn(
      `${keyPath(BLOB_STORAGE_PATH, key)} is not a blob_storage setting (known: ${BLOB_STORAGE.ours.join(', ')}); it is ignored`,
    );
  }
}

/**
 * The validated `general_settings.blob_storage` of `root` (the parsed config.yaml). `dataDir`
 * (absolute) holds the filesystem store when no path is given. Problems go to `diag`; the value
 * returned with problems is a placeholder, since the loader then fails.
 */
export function readBlobStorage(root: Mapping, env: Env, dataDir: string, diag: Diagnostics): BlobStorageConfig {
  const fallback: BlobStorageConfig = { kind: 'filesystem', path: join(dataDir, DEFAULT_BLOBS_DIR) };
  // A general_settings that is not a mapping is reported by settings.ts.
  const general = root.general_settings;
  const raw = isMapping(general) ? general.blob_storage : undefined;
  if (!isSet(raw)) return fallback;
  if (!isMapping(raw)) {
    diag.problem(`${BLOB_STORAGE_PATH} must be a mapping (type: filesystem or s3, and its settings)`);
    return fallback;
  }
  checkSectionKeys(raw, diag);
  const section = resolveEnvRefs(raw, BLOB_STORAGE_PATH, env, diag) as Mapping;

  const typeGiven = isSet(section.type);
  const type = readField(section.type, keyPath(BLOB_STORAGE_PATH, 'type'), storageType, diag);
  if (typeGiven && type === undefined) return fallback;
  const kind = type ?? 'filesystem';

  const other: BlobStorageType = kind === 's3' ? 'filesystem' : 's3';
  for (const key of KEYS_OF[other]) {
    if (!isSet(section[key])) continue;
    diag.problem(
      `${keyPath(BLOB_STORAGE_PATH, key)} is a setting of type ${other}, but type is ${kind}` +
        `${typeGiven ? '' : ' (the default)'}; set type: ${other} or remove it`,
    );
  }

  if (kind === 'filesystem') {
    const path = readField(section.path, keyPath(BLOB_STORAGE_PATH, 'path'), nonEmptyString, diag);
    // Taken from the working directory once, here, as the data directory is.
    return path === undefined ? fallback : { kind: 'filesystem', path: resolve(process.cwd(), path) };
  }
  return readS3(section, env, diag) ?? fallback;
}

function readS3(section: Mapping, env: Env, diag: Diagnostics): BlobStorageConfig | undefined {
  const at = (key: string): string => keyPath(BLOB_STORAGE_PATH, key);
  const bucket = requireField(section.bucket, at('bucket'), bucketName, diag);
  const region =
    readField(section.region, at('region'), nonEmptyString, diag) ??
    envValue(env, 'AWS_REGION') ??
    envValue(env, 'AWS_DEFAULT_REGION') ??
    DEFAULT_S3_REGION;
  const endpointGiven = isSet(section.endpoint);
  const endpoint = readField(section.endpoint, at('endpoint'), httpUrl, diag);
  const prefix = readPrefix(section.prefix, at('prefix'), diag);

  // A key given in the config (even one that failed its check) never falls back to the environment.
  const credential = (key: string, variable: string): string | undefined => {
    if (isSet(section[key])) return readField(section[key], at(key), nonEmptyString, diag);
    const value = envValue(env, variable);
    if (value === undefined) diag.problem(`${at(key)} must be set (or the environment variable ${variable}) for type s3`);
    return value;
  };
  const accessKeyId = credential('access_key_id', 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = credential('secret_access_key', 'AWS_SECRET_ACCESS_KEY');
  // AWS_SESSION_TOKEN belongs to the AWS_* keys: next to keys from the config it would sign with a
  // token of other credentials, so it is only taken with them.
  const keysFromEnv = !isSet(section.access_key_id) && !isSet(section.secret_access_key);
  const sessionToken = isSet(section.session_token)
    ? readField(section.session_token, at('session_token'), nonEmptyString, diag)
    : keysFromEnv
      ? envValue(env, 'AWS_SESSION_TOKEN')
      : undefined;

  const forcePathStyle = readField(section.force_path_style, at('force_path_style'), boolean, diag);
  if (forcePathStyle === false && endpoint !== undefined && !hasDnsName(endpoint)) {
    diag.problem(`${at('force_path_style')}: false needs an endpoint with a DNS name (virtual-hosted style puts the bucket in it)`);
  }

  if (
    bucket === undefined ||
    (endpointGiven && endpoint === undefined) ||
    prefix === undefined ||
    accessKeyId === undefined ||
    secretAccessKey === undefined ||
    section.session_token === UNRESOLVED
  ) {
    return undefined;
  }
  return {
    kind: 's3',
    bucket,
    endpoint: endpoint ?? `https://s3.${region}.amazonaws.com`,
    region,
    prefix,
    accessKeyId,
    secretAccessKey,
    sessionToken: sessionToken ?? null,
    // Virtual hosts of dotted bucket names do not match the provider's wildcard TLS certificate.
    pathStyle: forcePathStyle ?? (endpointGiven || bucket.includes('.')),
  };
}

/** `''`, or a valid key prefix ending with `/` (added when missing, as `S3BlobStore` does). */
function readPrefix(value: unknown, path: string, diag: Diagnostics): string | undefined {
  if (value === UNRESOLVED) return undefined;
  const text = readField(value, path, anyString, diag);
  if (text === undefined) return isSet(value) ? undefined : '';
  const prefix = text === '' || text.endsWith('/') ? text : `${text}/`;
  try {
    validateBlobPrefix(prefix);
    return prefix;
  } catch (err) {
    if (!(err instanceof InvalidBlobKeyError)) throw err;
    diag.problem(`${path} must be a relative key prefix such as batchgate/ (${err.reason.replaceAll('_', ' ')})`);
    return undefined;
  }
}

function hasDnsName(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return isIP(host) === 0 && host !== 'localhost';
}
