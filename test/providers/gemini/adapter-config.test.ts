/**
 * Gemini API adapter configuration and credentials: the key from params or the environment, a
 * ProviderConfigError naming every place when none is set, `api_base`, refused keys reported as
 * the deployment's credential problem, the key in no message, and the calls the gateway stages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import { UpstreamError } from '../../../src/errors/upstream-error.js';
import { createGeminiAdapter, GEMINI_CAPABILITIES } from '../../../src/providers/gemini/adapter.js';
import { resolveGeminiConfig } from '../../../src/providers/gemini/params.js';
import { ProviderConfigError } from '../../../src/providers/shared/config-error.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/fake-gemini.js';
import { adapterOn, collect, createInput, geminiDeployment, opts, rejection, stagedInput, stagedText } from './support.js';

let fake: FakeGemini;

beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});

describe('params', () => {
  it('reads api_key, else GEMINI_API_KEY, else GOOGLE_API_KEY', () => {
    const d = (params: Record<string, unknown>) => geminiDeployment(params);
    expect(resolveGeminiConfig(d({ api_key: 'k-param-123' }), { GEMINI_API_KEY: 'k-env-1' }).apiKey).toBe('k-param-123');
    expect(resolveGeminiConfig(d({}), { GEMINI_API_KEY: 'k-env-1', GOOGLE_API_KEY: 'k-env-2' }).apiKey).toBe('k-env-1');
    expect(resolveGeminiConfig(d({}), { GOOGLE_API_KEY: 'k-env-2' }).apiKey).toBe('k-env-2');
  });

  it('defaults api_base to Google and drops a trailing /v1beta', () => {
    expect(resolveGeminiConfig(geminiDeployment({ api_key: 'k-123456' }), {}).apiBase).toBe('https://generativelanguage.googleapis.com');
    expect(resolveGeminiConfig(geminiDeployment({ api_key: 'k-123456', api_base: 'https://proxy.example/v1beta/' }), {}).apiBase).toBe('https://proxy.example');
  });

  it('a missing key is a ProviderConfigError at factory time naming every place it looked', () => {
    let error: unknown;
    try {
      createGeminiAdapter(geminiDeployment({ api_base: fake.url }), { timeoutMs: 1000, env: { GEMINI_API_KEY: '  ' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderConfigError);
    const message = (error as ProviderConfigError).message;
    for (const place of ['api_key', 'GEMINI_API_KEY', 'GOOGLE_API_KEY']) expect(message).toContain(place);
  });

  it('an api_base that is not a URL is reported too', () => {
    expect(() => createGeminiAdapter(geminiDeployment({ api_base: 'generativelanguage' }), { timeoutMs: 1000, env: {} })).toThrow(/api_base.*http|api_key/);
  });

  it('uses the environment it is given', async () => {
    const adapter = createGeminiAdapter(geminiDeployment({ api_base: fake.url }), { timeoutMs: 5000, env: { GOOGLE_API_KEY: fake.apiKey } });
    await adapter.probe(opts());
  });
});

describe('credentials upstream', () => {
  it("a wrong key (Google's 400 API_KEY_INVALID) is a 401 of the deployment, and the key is in no message", async () => {
    const wrong = 'AIzaWrongKeyWrongKeyWrongKey0000';
    const adapter = adapterOn(fake, { api_key: wrong });
    for (const call of [
      () => adapter.probe(opts()),
      () => adapter.retrieveBatch('batches/abc', opts()),
      () => adapter.createBatch(createInput(stagedInput(stagedText(adapter, 1))), opts()),
      () => adapter.createBatch(createInput(stagedInput(stagedText(adapter, 1))), opts()),
      () => collect(adapter.openResults('batches/abc', opts())),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).status).toBe(401);
      const gateway = (error as UpstreamError).toGatewayError();
      for (const text of [(error as Error).message, gateway.message, JSON.stringify(error)]) expect(text).not.toContain(wrong);
    }
  });

  it('a 401 UNAUTHENTICATED stays a 401', async () => {
    const other = await startFakeGemini({ invalidKey: 'unauthenticated' });
    try {
      const error = await rejection(adapterOn(other, { api_key: 'AIzaWrongKeyWrongKeyWrongKey0000' }).probe(opts()));
      expect((error as UpstreamError).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('a key the upstream echoes in its message is redacted', async () => {
    fake.failNext('get', { status: 403, message: `Key ${fake.apiKey} has no access to this batch.` });
    const error = await rejection(adapterOn(fake).retrieveBatch('batches/abc', opts()));
    expect((error as UpstreamError).status).toBe(403);
    expect((error as UpstreamError).upstreamMessage).toBe('Key [REDACTED] has no access to this batch.');
  });
});

describe('what the gateway does instead', () => {
  it('stages files in the gateway and runs batches natively', () => {
    expect(GEMINI_CAPABILITIES).toMatchObject({ fileStaging: 'gateway', lineFormat: 'native', batchExecution: 'native', cancelBatch: true });
    expect(GEMINI_CAPABILITIES.limits).toEqual({ minLines: null, maxLines: null, maxBytes: 2_000_000_000 });
  });

  it('refuses the file calls and single requests as unsupported operations', async () => {
    const adapter = adapterOn(fake);
    for (const call of [
      () => adapter.retrieveFile('x', opts()),
      () => adapter.deleteFile('x', opts()),
      () => adapter.openFileContent('x', opts()),
      () => adapter.sendRequest({ url: '/v1/chat/completions', body: {} }, opts()),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('unsupported_operation');
    }
    expect(await collect(adapter.listFilesSince(0, opts()))).toEqual([]);
  });
});
