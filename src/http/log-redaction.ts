/**
 * Keeps keys out of request logs. Headers are never logged, but LiteLLM clients put keys in URLs
 * (`GET /key/info?key=sk-…`), and Fastify logs every request's URL: this request serializer
 * (Fastify's own fields) masks `key`-like query values and anything shaped like an `sk-` key.
 */
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

type LoggerOption = NonNullable<FastifyServerOptions['logger']>;

const SECRET_QUERY = /([?&](?:key|api[_-]?key|token|master_key)=)[^&#]*/gi;
const KEY_SHAPED = /sk-[A-Za-z0-9_-]+/g;

export const redactUrlSecrets = (url: string): string => url.replace(SECRET_QUERY, '$1***').replace(KEY_SHAPED, 'sk-***');

const requestSerializer = (req: FastifyRequest) => {
  const port = req.socket.remotePort;
  return {
    method: req.method,
    url: redactUrlSecrets(req.url),
    host: req.host,
    remoteAddress: req.ip,
    ...(port === undefined ? {} : { remotePort: port }),
  };
};

/** The app's logger option with the redacting request serializer in place of Fastify's. */
export function withRedactedRequests(logger: LoggerOption): LoggerOption {
  if (logger === false) return logger;
  const options = logger === true ? {} : logger;
  return { ...options, serializers: { ...options.serializers, req: requestSerializer } };
}
