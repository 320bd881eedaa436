/** `general_settings.webhooks` and `general_settings.webhook_settings`, read by config/webhooks.ts. */
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config/load.js';
import { DEFAULT_WEBHOOK_DELIVERY } from '../../src/domain/events/webhook-endpoints.js';
import { problemsOf, writeConfig } from '../config/helpers.js';

const MODEL_LIST = `model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-upstream
`;

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const load = (general: string, env: Record<string, string> = {}) =>
  loadConfig({ configPath: writeConfig(`${MODEL_LIST}general_settings:\n${general}`), env, overrides: { dataDir: '/tmp/bg-unused' } });

describe('webhook settings', () => {
  it('has none by default, with the default retry policy', async () => {
    const config = await loadConfig({ configPath: writeConfig(MODEL_LIST), env: {} });
    expect(config.webhooks).toEqual({ endpoints: [], delivery: DEFAULT_WEBHOOK_DELIVERY });
  });

  it('reads endpoints with os.environ secrets, event and team filters, and defaults the rest', async () => {
    const config = await load(
      `  webhooks:
    - url: https://hooks.example.com/all
      secret: os.environ/WH_SECRET
    - url: http://127.0.0.1:9000/research
      secret: plain-text-secret
      events: [batch.completed, batch.failed]
      team_ids: [team-research, 42]
  webhook_settings:
    max_attempts: 5
    initial_backoff_seconds: 0.5
    max_backoff_seconds: 60
    timeout_seconds: 3
    poll_interval_seconds: "0.25"
`,
      { WH_SECRET: SECRET },
    );
    expect(config.webhooks).toEqual({
      endpoints: [
        { url: 'https://hooks.example.com/all', secret: SECRET, events: ['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled'], teamIds: null },
        { url: 'http://127.0.0.1:9000/research', secret: 'plain-text-secret', events: ['batch.completed', 'batch.failed'], teamIds: ['team-research', '42'] },
      ],
      delivery: { maxAttempts: 5, initialBackoffMs: 500, maxBackoffMs: 60_000, timeoutMs: 3_000, pollIntervalMs: 250 },
    });
    expect(config.warnings).toEqual([]);
  });

  it('reports every problem by path, never by value', async () => {
    const problems = await problemsOf(
      load(
        `  webhooks:
    - url: ftp://nope.example
      secret: whsec_not*base64
    - secret: s3cr3t-value
      events: [batch.completed, response.completed]
      team_ids: []
    - just-a-string
    - url: https://dup.example/h
      secret: one
    - url: https://dup.example/h
      secret: two
    - url: https://env.example/h
      secret: os.environ/MISSING_SECRET
  webhook_settings:
    max_attempts: 0
    initial_backoff_seconds: 100
    max_backoff_seconds: 10
`,
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'general_settings.webhooks[0].url must be an http:// or https:// URL',
        'general_settings.webhooks[0].secret starts with whsec_ but what follows is not base64',
        'general_settings.webhooks[1].url must be an http:// or https:// URL',
        expect.stringMatching(/^general_settings\.webhooks\[1\]\.events must be a non-empty list of batch\.completed/),
        'general_settings.webhooks[1].team_ids must be a non-empty list of team ids',
        'general_settings.webhooks[2] must be a mapping with url and secret',
        'general_settings.webhooks[4].url is already the url of general_settings.webhooks[3]',
        expect.stringContaining('MISSING_SECRET is not set'),
        'general_settings.webhook_settings.max_attempts must be an integer between 1 and 1000',
        'general_settings.webhook_settings.max_backoff_seconds must be at least initial_backoff_seconds',
      ]),
    );
    expect(problems.join('\n')).not.toContain('s3cr3t-value');
    expect(problems.join('\n')).not.toContain('not*base64');
  });

  it('refuses a list that is not one, and warns about keys it does not know', async () => {
    expect(await problemsOf(load('  webhooks: https://hooks.example/h\n'))).toContain(
      'general_settings.webhooks must be a list of endpoints ({url, secret, events?, team_ids?})',
    );
    const config = await load(`  webhooks:
    - url: https://hooks.example/h
      secret: s
      retries: 3
  webhook_settings:
    max_attempts: 2
    jitter: false
`);
    expect(config.warnings).toEqual([
      'general_settings.webhooks[0].retries is not a webhook setting (known: url, secret, events, team_ids); it is ignored',
      expect.stringContaining('general_settings.webhook_settings.jitter is not a webhook setting'),
    ]);
  });

  it('never prints a webhook secret in the redacted config', async () => {
    const config = await load(
      `  webhooks:
    - url: https://user:pw@hooks.example.com/h?token=abc
      secret: os.environ/WH_SECRET
`,
      { WH_SECRET: SECRET },
    );
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(':pw@');
    expect(printed).not.toContain('token=abc');
  });
});
