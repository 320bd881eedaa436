import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config/load.js';
import { writeConfig } from './helpers.js';

const SECRETS = {
  AZ_KEY: 'az-secret-value',
  AWS_SECRET: 'aws-secret-value',
  AWS_TOKEN: 'aws-session-token-value',
  CLIENT_SECRET: 'client-secret-value',
  AD_TOKEN: 'ad-token-value',
  HDR: 'header-secret-value',
  PG: 'postgresql://bg:pg-password-value@db:5432/batchgate?sslmode=require',
  MASTER: 'sk-master-secret-value',
};

const CONFIG = `
model_list:
  - model_name: g
    litellm_params:
      model: azure/x
      api_base: https://proxyuser:basic-auth-value@x.openai.azure.com/openai?api-key=query-key-value
      api_key: os.environ/AZ_KEY
      azure_ad_token: os.environ/AD_TOKEN
      client_secret: os.environ/CLIENT_SECRET
      headers: { Authorization: os.environ/HDR, api-key: os.environ/HDR, x-team: research }
      max_tokens: 1000
      input_cost_per_token: 0.000001
  - model_name: b
    litellm_params:
      model: bedrock/anthropic.claude
      aws_access_key_id: AKIAEXAMPLE
      aws_secret_access_key: os.environ/AWS_SECRET
      aws_session_token: os.environ/AWS_TOKEN
      aws_region_name: us-east-1
  - model_name: v
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_project: p
      vertex_credentials: { type: service_account, private_key: vertex-private-key-value }
general_settings:
  master_key: os.environ/MASTER
  database_url: os.environ/PG
`;

describe('redactConfig', () => {
  it('replaces every secret by *** and keeps the rest readable', async () => {
    const config = await loadConfig({ configPath: writeConfig(CONFIG), env: SECRETS });
    const redacted = redactConfig(config);
    const printed = JSON.stringify(redacted);

    for (const secret of [...Object.values(SECRETS), 'pg-password-value', 'basic-auth-value', 'query-key-value',
      'vertex-private-key-value']) {
      expect(printed).not.toContain(secret);
    }
    expect(redacted.masterKey).toBe('***');
    expect(redacted.databaseUrl).toBe('postgresql://bg:***@db:5432/batchgate?sslmode=require');
    const [azure, bedrock, vertex] = redacted.deployments;
    expect(azure?.params).toEqual({
      model: 'azure/x',
      api_base: 'https://proxyuser:***@x.openai.azure.com/openai?api-key=***',
      api_key: '***',
      azure_ad_token: '***',
      client_secret: '***',
      headers: { Authorization: '***', 'api-key': '***', 'x-team': 'research' },
      max_tokens: 1000,
      input_cost_per_token: 0.000001,
    });
    expect(bedrock?.params).toEqual({
      model: 'bedrock/anthropic.claude',
      aws_access_key_id: 'AKIAEXAMPLE',
      aws_secret_access_key: '***',
      aws_session_token: '***',
      aws_region_name: 'us-east-1',
    });
    expect(vertex?.params.vertex_credentials).toBe('***');
    expect(vertex?.params.vertex_project).toBe('p');
    expect(redacted.deployments.map((d) => d.id)).toEqual(config.deployments.map((d) => d.id));
  });

  it('leaves the loaded config untouched', async () => {
    const config = await loadConfig({ configPath: writeConfig(CONFIG), env: SECRETS });
    redactConfig(config);
    expect(config.masterKey).toBe(SECRETS.MASTER);
    expect(config.deployments[0]?.params.api_key).toBe(SECRETS.AZ_KEY);
    expect(config.databaseUrl).toBe(SECRETS.PG);
  });

  it('keeps null master key and database URL as null', async () => {
    const config = await loadConfig({ env: { OPENAI_API_KEY: 'sk-env' } });
    const redacted = redactConfig(config);
    expect(redacted.masterKey).toBeNull();
    expect(redacted.databaseUrl).toBeNull();
    expect(redacted.deployments[0]?.params).toEqual({ api_key: '***' });
  });
});
