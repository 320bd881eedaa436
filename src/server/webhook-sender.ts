/**
 * The webhook transport over undici: its own Agent (receivers are not upstreams and must not share
 * or starve their pools), no redirects followed (a signed POST is not replayed elsewhere), headers
 * and body timers as well as the caller's signal, and at most a few KB of the answer read (and
 * dropped), so a hostile or broken receiver costs one timeout and nothing more.
 */
import { Agent, request } from 'undici';
import type { WebhookRequest, WebhookTransport } from '../domain/events/webhook-transport.js';

export interface WebhookSender extends WebhookTransport {
  /** Closes the pooled connections (after the sends in flight ended). */
  close(): Promise<void>;
}

/** The answer body is never used; reading a little lets the connection be reused. */
const MAX_ANSWER_BYTES = 16 * 1024;

export function createWebhookSender(options: { readonly timeoutMs: number }): WebhookSender {
  const dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connections: 32,
    connect: { timeout: options.timeoutMs },
  });
  return {
    async post(req: WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
      const response = await request(req.url, {
        method: 'POST',
        headers: { ...req.headers, 'user-agent': 'batchgate-webhooks' },
        body: req.body,
        signal,
        dispatcher,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      try {
        await response.body.dump({ limit: MAX_ANSWER_BYTES, signal });
      } catch {
        // The status is what counts; a receiver that stalls or resets after it is still answered.
      }
      return { status: response.statusCode };
    },
    close: () => dispatcher.close(),
  };
}
