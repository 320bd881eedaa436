/**
 * The one outbound call webhooks need: POST a body with headers, answer with the status code.
 * Implemented over undici in the server (`server/webhook-sender.ts`); the delivery loop sees only
 * this, so it runs with a fake in tests.
 */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhookTransport {
  /**
   * Resolves with the receiver's status code once it answered (the response body is read and
   * dropped); rejects on a transport failure, a timeout or `signal` aborting.
   */
  post(request: WebhookRequest, signal: AbortSignal): Promise<{ readonly status: number }>;
}
