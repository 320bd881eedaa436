/** `litellm_settings.gcs_bucket_name` is the bucket of every vertex_ai deployment that names none. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { problemsOf, writeConfig } from './helpers.js';

const YAML = (settings: string): string => `
model_list:
  - model_name: gemini
    litellm_params: { model: vertex_ai/gemini-2.5-flash, vertex_project: p }
  - model_name: gemini
    litellm_params: { model: vertex_ai/gemini-2.5-flash, vertex_project: q, gcs_bucket_name: own-bucket }
  - model_name: gpt
    litellm_params: { model: openai/gpt-4o, api_key: k }
${settings}
`;

describe('provider defaults', () => {
  it('gives vertex_ai deployments without a bucket the global one, and leaves the rest alone', async () => {
    const config = await loadConfig({ configPath: writeConfig(YAML('litellm_settings:\n  gcs_bucket_name: shared-bucket')), env: {} });
    expect(config.deployments.map((d) => d.params['gcs_bucket_name'])).toEqual(['shared-bucket', 'own-bucket', undefined]);
    // The deployment id does not depend on where the bucket came from.
    const without = await loadConfig({ configPath: writeConfig(YAML('')), env: {} });
    expect(config.deployments.map((d) => d.id)).toEqual(without.deployments.map((d) => d.id));
  });

  it('refuses an empty global bucket', async () => {
    const problems = await problemsOf(loadConfig({ configPath: writeConfig(YAML('litellm_settings:\n  gcs_bucket_name: ""')), env: {} }));
    expect(problems.join('\n')).toContain('litellm_settings.gcs_bucket_name');
  });
});
