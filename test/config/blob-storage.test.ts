/**
 * `general_settings.blob_storage` (config/blob-storage.ts) and the store it builds
 * (server/blob-store.ts): a directory under the data dir by default, or an S3-compatible bucket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config/load.js';
import type { LoadConfigInput } from '../../src/config/types.js';
import { createBlobStore } from '../../src/server/blob-store.js';
import { FsBlobStore } from '../../src/store/blobs/fs-blob-store.js';
import { S3BlobStore } from '../../src/store/blobs/s3/s3-blob-store.js';
import { problemsOf, writeConfig } from './helpers.js';

const MODEL = 'model_list: [{model_name: g, litellm_params: {model: openai/x, api_key: sk-a}}]\n';
const dataDir = mkdtempSync(join(tmpdir(), 'batchgate-blobs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const input = (yaml: string, env: LoadConfigInput['env'] = {}): LoadConfigInput => ({
  configPath: writeConfig(MODEL + yaml),
  env,
  overrides: { dataDir },
});
const load = async (yaml: string, env: LoadConfigInput['env'] = {}) => loadConfig(input(yaml, env));
const problems = (yaml: string, env: LoadConfigInput['env'] = {}) => problemsOf(loadConfig(input(yaml, env)));

const AWS_ENV = { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' };

describe('general_settings.blob_storage: filesystem', () => {
  it('defaults to <data dir>/blobs, with or without a config file', async () => {
    expect((await load('')).blobs).toEqual({ kind: 'filesystem', path: join(dataDir, 'blobs') });
    expect((await load('general_settings: { blob_storage: { type: filesystem } }')).blobs).toEqual({
      kind: 'filesystem',
      path: join(dataDir, 'blobs'),
    });
    const noFile = await loadConfig({ env: { OPENAI_API_KEY: 'sk-env' }, overrides: { dataDir } });
    expect(noFile.blobs).toEqual({ kind: 'filesystem', path: join(dataDir, 'blobs') });
  });

  it('takes a path, a relative one from the working directory, and os.environ/ references', async () => {
    expect((await load('general_settings: { blob_storage: { path: /var/lib/batchgate/blobs } }')).blobs).toEqual({
      kind: 'filesystem',
      path: '/var/lib/batchgate/blobs',
    });
    expect((await load('general_settings: { blob_storage: { type: FileSystem, path: rel/blobs } }')).blobs).toEqual({
      kind: 'filesystem',
      path: resolve(process.cwd(), 'rel/blobs'),
    });
    const fromEnv = await load('general_settings: { blob_storage: { path: os.environ/BLOBS } }', { BLOBS: '/srv/blobs' });
    expect(fromEnv.blobs).toEqual({ kind: 'filesystem', path: '/srv/blobs' });
  });

  it('gives a store that writes, stats and streams back', async () => {
    const root = join(dataDir, 'round-trip');
    const config = await load(`general_settings: { blob_storage: { type: filesystem, path: ${root} } }`);
    const store = createBlobStore(config.blobs);
    expect(store).toBeInstanceOf(FsBlobStore);
    const signal = new AbortController().signal;
    const body = Readable.from([Buffer.from('{"a":1}\n'), Buffer.from('{"b":2}\n')]);
    expect(await store.put('batches/b1/input.jsonl', body, { signal })).toEqual({ bytes: 16 });
    expect(await store.stat('batches/b1/input.jsonl')).toEqual({ bytes: 16 });
    expect(await store.stat('batches/b1/missing.jsonl')).toBeNull();
    const chunks: Buffer[] = [];
    for await (const chunk of await store.open('batches/b1/input.jsonl', { signal, start: 8 })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"b":2}\n');
  });
});

describe('general_settings.blob_storage: s3', () => {
  it('reads every key, os.environ/ references resolved', async () => {
    const config = await load(
      `
general_settings:
  blob_storage:
    type: s3
    bucket: my-bucket
    endpoint: https://s3.eu-west-1.amazonaws.com
    region: eu-west-1
    prefix: batchgate/
    access_key_id: os.environ/KEY_ID
    secret_access_key: os.environ/SECRET
    session_token: os.environ/TOKEN
    force_path_style: false
`,
      { KEY_ID: 'AKIACONFIG', SECRET: 'config-secret', TOKEN: 'config-token' },
    );
    expect(config.blobs).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      prefix: 'batchgate/',
      accessKeyId: 'AKIACONFIG',
      secretAccessKey: 'config-secret',
      sessionToken: 'config-token',
      pathStyle: false,
    });
    expect(config.warnings).toEqual([]);
    expect(createBlobStore(config.blobs)).toBeInstanceOf(S3BlobStore);
  });

  it('defaults to AWS: region and credentials from the environment, virtual-hosted style', async () => {
    const config = await load('general_settings: { blob_storage: { type: s3, bucket: b } }', {
      ...AWS_ENV,
      AWS_DEFAULT_REGION: 'ap-south-1',
    });
    expect(config.blobs).toEqual({
      kind: 's3',
      bucket: 'b',
      endpoint: 'https://s3.ap-south-1.amazonaws.com',
      region: 'ap-south-1',
      prefix: '',
      accessKeyId: 'AKIAENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
      pathStyle: false,
    });
    const regionless = await load('general_settings: { blob_storage: { type: s3, bucket: b } }', AWS_ENV);
    expect(regionless.blobs).toMatchObject({ region: 'us-east-1', endpoint: 'https://s3.us-east-1.amazonaws.com' });
    const both = await load('general_settings: { blob_storage: { type: s3, bucket: b } }', {
      ...AWS_ENV,
      AWS_REGION: 'eu-north-1',
      AWS_DEFAULT_REGION: 'ap-south-1',
    });
    expect(both.blobs).toMatchObject({ region: 'eu-north-1' });
  });

  it('uses path style with a custom endpoint or a dotted bucket, unless told otherwise', async () => {
    const minio = await load(
      'general_settings: { blob_storage: { type: s3, bucket: b, endpoint: "http://127.0.0.1:9000", prefix: bg } }',
      AWS_ENV,
    );
    expect(minio.blobs).toMatchObject({ endpoint: 'http://127.0.0.1:9000', pathStyle: true, prefix: 'bg/', region: 'us-east-1' });
    const dotted = await load('general_settings: { blob_storage: { type: s3, bucket: my.bucket } }', AWS_ENV);
    expect(dotted.blobs).toMatchObject({ pathStyle: true });
    const virtual = await load(
      'general_settings: { blob_storage: { type: s3, bucket: b, endpoint: "https://minio.example.com", force_path_style: "off" } }',
      AWS_ENV,
    );
    expect(virtual.blobs).toMatchObject({ pathStyle: false });
  });

  it('takes AWS_SESSION_TOKEN only with keys from the environment', async () => {
    const config = await load(
      'general_settings: { blob_storage: { type: s3, bucket: b, access_key_id: AKIACONFIG, secret_access_key: s } }',
      AWS_ENV,
    );
    expect(config.blobs).toMatchObject({ accessKeyId: 'AKIACONFIG', secretAccessKey: 's', sessionToken: null });
    const mixed = await load('general_settings: { blob_storage: { type: s3, bucket: b, access_key_id: AKIACONFIG } }', AWS_ENV);
    expect(mixed.blobs).toMatchObject({ accessKeyId: 'AKIACONFIG', secretAccessKey: 'env-secret', sessionToken: null });
  });

  it('redacts every credential when printed', async () => {
    const config = await load('general_settings: { blob_storage: { type: s3, bucket: b } }', AWS_ENV);
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of Object.values(AWS_ENV)) expect(printed).not.toContain(secret);
    expect(redactConfig(config).blobs).toMatchObject({ accessKeyId: '***', secretAccessKey: '***', sessionToken: '***', bucket: 'b' });
    expect(config.blobs).toMatchObject({ accessKeyId: 'AKIAENV' });
  });
});

describe('general_settings.blob_storage: problems', () => {
  const P = 'general_settings.blob_storage';

  it('names the key of an unknown type, a missing bucket, missing credentials and a bad URL', async () => {
    expect(await problems('general_settings: { blob_storage: { type: gcs } }')).toEqual([`${P}.type must be filesystem or s3`]);
    expect(await problems('general_settings: { blob_storage: { type: s3, endpoint: "ftp://x" } }')).toEqual([
      `${P}.bucket must be a bucket name (non-empty, no / or white space)`,
      `${P}.endpoint must be an http:// or https:// URL`,
      `${P}.access_key_id must be set (or the environment variable AWS_ACCESS_KEY_ID) for type s3`,
      `${P}.secret_access_key must be set (or the environment variable AWS_SECRET_ACCESS_KEY) for type s3`,
    ]);
    expect(await problems('general_settings: { blob_storage: { type: s3, bucket: "a/b" } }', AWS_ENV)).toEqual([
      `${P}.bucket must be a bucket name (non-empty, no / or white space)`,
    ]);
    expect(await problems('general_settings: { blob_storage: [s3] }')).toEqual([
      `${P} must be a mapping (type: filesystem or s3, and its settings)`,
    ]);
  });

  it('reports an unset os.environ/ reference once, without a second "missing" message', async () => {
    expect(
      await problems('general_settings: { blob_storage: { type: s3, bucket: b, access_key_id: os.environ/NOPE } }', AWS_ENV),
    ).toEqual([`${P}.access_key_id: environment variable NOPE is not set`]);
  });

  it('refuses settings of the other type, so a forgotten type: s3 is not a silent local directory', async () => {
    expect(await problems('general_settings: { blob_storage: { bucket: b } }')).toEqual([
      `${P}.bucket is a setting of type s3, but type is filesystem (the default); set type: s3 or remove it`,
    ]);
    expect(await problems('general_settings: { blob_storage: { type: s3, bucket: b, path: /x } }', AWS_ENV)).toEqual([
      `${P}.path is a setting of type filesystem, but type is s3; set type: filesystem or remove it`,
    ]);
  });

  it('checks the prefix, the addressing style and the booleans', async () => {
    expect(await problems('general_settings: { blob_storage: { type: s3, bucket: b, prefix: /abs/ } }', AWS_ENV)).toEqual([
      `${P}.prefix must be a relative key prefix such as batchgate/ (absolute)`,
    ]);
    expect(await problems('general_settings: { blob_storage: { type: s3, bucket: b, prefix: "a/../b" } }', AWS_ENV)).toEqual([
      `${P}.prefix must be a relative key prefix such as batchgate/ (dot segment)`,
    ]);
    expect(
      await problems(
        'general_settings: { blob_storage: { type: s3, bucket: b, endpoint: "http://localhost:9000", force_path_style: false } }',
        AWS_ENV,
      ),
    ).toEqual([`${P}.force_path_style: false needs an endpoint with a DNS name (virtual-hosted style puts the bucket in it)`]);
    expect(await problems('general_settings: { blob_storage: { type: s3, bucket: b, force_path_style: maybe } }', AWS_ENV)).toEqual([
      `${P}.force_path_style must be true or false`,
    ]);
  });

  it('reports a near-miss of a key as a typo, and warns about other unknown keys', async () => {
    expect(await problems('general_settings: { blob_storage: { type: s3, bukcet: b } }', AWS_ENV)).toEqual([
      `${P}: unknown key 'bukcet' — did you mean 'bucket'?`,
      `${P}.bucket must be a bucket name (non-empty, no / or white space)`,
    ]);
    expect(await problems('general_settings: { blob_storag: { type: s3 } }')).toEqual([
      "general_settings: unknown key 'blob_storag' — did you mean 'blob_storage'?",
    ]);
    const config = await load('general_settings: { blob_storage: { type: filesystem, storage_class: GLACIER } }');
    expect(config.warnings).toEqual([
      `${P}.storage_class is not a blob_storage setting (known: type, path, bucket, endpoint, region, prefix, ` +
        'access_key_id, secret_access_key, session_token, force_path_style); it is ignored',
    ]);
  });
});
