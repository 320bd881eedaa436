/** The Vertex deployment's params: where each setting may come from, and the start-up problems. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVertexAdapter } from '../../../src/providers/vertex/adapter.js';
import { resolveVertexConfig } from '../../../src/providers/vertex/params.js';
import { ProviderConfigError } from '../../../src/providers/shared/config-error.js';
import { startVertexFakes, type VertexFakes } from '../../fakes/fake-vertex.js';
import { adapterOn, opts, vertexDeployment } from './support.js';

let fakes: VertexFakes;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  fakes = await startVertexFakes();
  dir = mkdtempSync(join(tmpdir(), 'vertex-config-'));
  keyFile = join(dir, 'key.json');
  writeFileSync(keyFile, JSON.stringify(fakes.oauth.credentials()));
});
afterAll(async () => {
  await fakes.close();
  rmSync(dir, { recursive: true, force: true });
});

const problemsOf = (params: Record<string, unknown>, env: Record<string, string> = {}): readonly string[] => {
  try {
    createVertexAdapter(vertexDeployment(params), { timeoutMs: 1000, env });
  } catch (error) {
    if (error instanceof ProviderConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('ProviderConfigError at factory time', () => {
  it('names every place each missing setting could come from', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/vertex_credentials.*GOOGLE_APPLICATION_CREDENTIALS/);
    expect(problems[1]).toMatch(/vertex_project.*VERTEXAI_PROJECT/);
    expect(problems[2]).toMatch(/gcs_bucket_name.*litellm_settings\.gcs_bucket_name.*GCS_BUCKET_NAME/);
    const noProject = problemsOf({ vertex_credentials: fakes.oauth.credentials({ project_id: undefined }), gcs_bucket_name: 'b-1' });
    expect(noProject).toEqual([expect.stringMatching(/vertex_project.*VERTEXAI_PROJECT.*project_id/)]);
  });

  it('refuses malformed credentials, naming what is wrong but not the key', () => {
    const pem = fakes.oauth.privateKeyPem;
    const cases: Array<[unknown, RegExp]> = [
      ['{"type": "service_account",', /not valid JSON/],
      [{ type: 'authorized_user', client_id: 'x' }, /service-account keys only/],
      [{ type: 'service_account', private_key: pem }, /no client_email/],
      [{ type: 'service_account', client_email: 'a@b', private_key: 'not a key' }, /not a PEM RSA key/],
      [join(dir, 'missing.json'), /cannot be read \(ENOENT\)/],
    ];
    for (const [credentials, message] of cases) {
      const problems = problemsOf({ vertex_credentials: credentials, gcs_bucket_name: 'bucket-1', vertex_project: 'p' });
      expect(problems).toEqual([expect.stringMatching(message)]);
      expect(problems.join(' ')).not.toContain('PRIVATE KEY');
    }
  });

  it('refuses a bad bucket name or location', () => {
    const base = { vertex_credentials: fakes.oauth.credentials() };
    expect(problemsOf({ ...base, gcs_bucket_name: 'Bad_Bucket!' })).toEqual([expect.stringMatching(/not a valid GCS bucket name/)]);
    expect(problemsOf({ ...base, gcs_bucket_name: 'ok-bucket', vertex_location: 'US Central' })).toEqual([expect.stringMatching(/not a Google Cloud location/)]);
  });
});

describe('where settings come from', () => {
  it('reads the key from a file path, or from GOOGLE_APPLICATION_CREDENTIALS, and the rest from env', async () => {
    const fromPath = adapterOn(fakes, { vertex_credentials: keyFile });
    await fromPath.probe(opts());
    const env = { GOOGLE_APPLICATION_CREDENTIALS: keyFile, VERTEXAI_PROJECT: fakes.vertex.project, VERTEXAI_LOCATION: fakes.vertex.location, GCS_BUCKET_NAME: fakes.bucket };
    const fromEnv = createVertexAdapter(vertexDeployment({ api_base: fakes.vertex.url, gcs_api_base: fakes.gcs.url }), { timeoutMs: 5000, env });
    await fromEnv.probe(opts());
  });

  it("takes the project from the key's project_id and an object key as it is", async () => {
    const adapter = adapterOn(fakes, { vertex_project: undefined, vertex_credentials: fakes.oauth.credentials() });
    await adapter.probe(opts());
  });

  it('honours api_base with or without /v1, gcs_api_base and the key token_uri', async () => {
    const adapter = adapterOn(fakes, { api_base: `${fakes.vertex.url}/v1/` });
    await adapter.probe(opts());
    const config = resolveVertexConfig(vertexDeployment({ ...fakes.params }), {});
    expect(config.gcsBase).toBe(fakes.gcs.url);
    expect(config.credentials.tokenUri).toBe(fakes.oauth.tokenUri);
  });

  it('defaults to the regional host, the global host for global, GCS and the Google token endpoint', () => {
    const params = { vertex_credentials: { ...fakes.oauth.credentials(), token_uri: undefined }, gcs_bucket_name: 'bucket-1/some/prefix' };
    const regional = resolveVertexConfig(vertexDeployment(params), {});
    expect(regional).toMatchObject({ location: 'us-central1', vertexBase: 'https://us-central1-aiplatform.googleapis.com', gcsBase: 'https://storage.googleapis.com', bucket: 'bucket-1', prefix: 'some/prefix/' });
    expect(regional.credentials.tokenUri).toBe('https://oauth2.googleapis.com/token');
    expect(resolveVertexConfig(vertexDeployment({ ...params, vertex_location: 'global' }), {}).vertexBase).toBe('https://aiplatform.googleapis.com');
    expect(resolveVertexConfig(vertexDeployment({ ...params, vertex_location: 'europe-west4' }), {}).vertexBase).toBe('https://europe-west4-aiplatform.googleapis.com');
  });

  it('declares the native line format and the Vertex limits', () => {
    const adapter = adapterOn(fakes);
    expect(adapter.capabilities).toMatchObject({ lineFormat: 'native', fileStaging: 'bucket', limits: { minLines: null, maxLines: 200_000, maxBytes: 1_000_000_000 } });
  });
});
