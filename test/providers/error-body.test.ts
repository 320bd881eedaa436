/** Unit tests of the upstream error parsing helpers: envelopes, Retry-After, redaction. */
import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../src/providers/shared/error-body.js';
import { redactSecrets } from '../../src/providers/shared/redact.js';
import { parseRetryAfter } from '../../src/providers/shared/retry-after.js';

describe('parseErrorBody', () => {
  it('reads the OpenAI envelope as it is', () => {
    const body = JSON.stringify({ error: { message: 'No such File object: file-1', type: 'invalid_request_error', param: 'id', code: null } });
    expect(parseErrorBody(404, body)).toEqual({ message: 'No such File object: file-1', type: 'invalid_request_error', param: 'id', code: null });
  });

  it('reads the Azure inference envelope, deriving a missing type from the status', () => {
    const body = JSON.stringify({ error: { code: 'content_filter', message: 'Filtered.', param: 'prompt', type: null, inner_error: { code: 'ResponsibleAIPolicyViolation' } } });
    expect(parseErrorBody(400, body)).toEqual({ message: 'Filtered.', type: 'invalid_request_error', param: 'prompt', code: 'content_filter' });
  });

  it('reads the Azure authoring envelope: target as param, details appended', () => {
    const body = JSON.stringify({
      error: { code: 'quotaExceeded', message: 'Quota exceeded.', target: 'input_file_id', details: [{ code: 'x', message: 'Limit is 500 files.' }], innererror: null },
    });
    expect(parseErrorBody(429, body)).toEqual({ message: 'Quota exceeded. Limit is 500 files.', type: 'rate_limit_error', param: 'input_file_id', code: 'quotaExceeded' });
  });

  it('reads the Azure gateway envelope and numeric codes', () => {
    expect(parseErrorBody(404, '{"error":{"code":"404","message":"Resource not found"}}')).toEqual({
      message: 'Resource not found',
      type: 'invalid_request_error',
      param: null,
      code: '404',
    });
    expect(parseErrorBody(401, '{"statusCode":401,"code":401,"message":"Access denied"}')).toMatchObject({ message: 'Access denied', code: '401', type: 'authentication_error' });
  });

  it('reads an error given as a bare string', () => {
    expect(parseErrorBody(503, '{"error":"upstream overloaded"}')).toEqual({ message: 'upstream overloaded', type: 'server_error', param: null, code: null });
  });

  it('keeps a plain-text body as the message', () => {
    expect(parseErrorBody(502, 'Bad Gateway\n  from the proxy ')).toMatchObject({ message: 'Bad Gateway from the proxy', type: 'server_error' });
  });

  it('summarises an HTML page by its title', () => {
    expect(parseErrorBody(504, '<html><head><title>504 Gateway Time-out</title></head><body>…</body></html>').message).toBe('HTTP 504 with an HTML page: 504 Gateway Time-out');
  });

  it('says something useful for an empty body or JSON without a message', () => {
    expect(parseErrorBody(500, '', 'Internal Server Error').message).toBe('HTTP 500 Internal Server Error');
    expect(parseErrorBody(500, '{"error":{"code":"boom"}}').message).toBe('HTTP 500 (boom)');
    expect(parseErrorBody(500, '{"unexpected":true}').message).toBe('{"unexpected":true}');
  });

  it('clips very long messages', () => {
    expect(parseErrorBody(400, 'x'.repeat(10_000)).message.length).toBeLessThanOrEqual(2001);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(parseRetryAfter({ 'retry-after': '7' })).toBe(7);
    expect(parseRetryAfter({ 'retry-after': '7', 'retry-after-ms': '1500' })).toBe(2);
    const now = Date.UTC(2025, 0, 1, 0, 0, 0);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, () => now)).toBe(30);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, () => now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter({})).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  it('removes every occurrence of every secret, but not short ones', () => {
    expect(redactSecrets('key sk-abcdef123 and sk-abcdef123 again', ['sk-abcdef123'])).toBe('key [REDACTED] and [REDACTED] again');
    expect(redactSecrets('abc', ['abc'])).toBe('abc');
  });
});
