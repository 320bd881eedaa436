/**
 * Signed calls to AWS over the shared HTTP client (timeouts, secret scrubbing, metrics). Every
 * answer of any status comes back through `exchange`, so AWS's own error shapes (JSON with
 * `x-amzn-ErrorType`, S3's XML) are read here rather than by the generic OpenAI-style parser;
 * streamed bodies (object downloads) go through `stream`.
 */
import type { Readable } from 'node:stream';
import type { HttpClient, HttpMethod, ResponseHeaders } from '../shared/http-client.js';
import { awsError, scrubbedError, type ErrorScope } from './aws-errors.js';
import type { SignInput, Signer } from './signer.js';

export interface AwsCall extends SignInput {
  readonly method: HttpMethod;
  readonly signal: AbortSignal;
  /** The operation in words, naming no resource ("creating the batch job"). */
  readonly what: string;
  /** Bounded metrics name ("s3.UploadPart"). */
  readonly operation: string;
}

export interface AwsAnswer {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Parsed JSON, raw text (XML), or null for an empty body. */
  readonly body: unknown;
}

export interface AwsStream {
  readonly headers: ResponseHeaders;
  readonly body: Readable;
}

export interface AwsTransport {
  /** Sends the call; a non-2xx answer throws an `UpstreamError` built from AWS's error shape. */
  send(call: AwsCall): Promise<AwsAnswer>;
  stream(call: AwsCall): Promise<AwsStream>;
}

export const createAwsTransport = (http: HttpClient, sign: Signer, scope: ErrorScope): AwsTransport => {
  const signed = async (call: AwsCall) => {
    const request = await sign(call);
    return {
      method: call.method,
      url: request.url,
      headers: request.headers,
      body: call.body,
      signal: call.signal,
      operation: call.operation,
    };
  };

  const send = async (call: AwsCall): Promise<AwsAnswer> => {
    let answer;
    try {
      answer = await http.exchange(await signed(call));
    } catch (err) {
      throw scrubbedError(scope, call.what, err);
    }
    if (answer.status < 200 || answer.status > 299) throw awsError(scope, call.what, answer.status, answer.headers, answer.body);
    return answer;
  };

  const stream = async (call: AwsCall): Promise<AwsStream> => {
    try {
      const response = await http.stream(await signed(call));
      return { headers: response.headers, body: response.body };
    } catch (err) {
      throw scrubbedError(scope, call.what, err);
    }
  };

  return { send, stream };
};
