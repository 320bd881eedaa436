// @ts-check
// The one way the console reaches the gateway: its public JSON API, with the signed-in key as the
// Bearer token. Errors arrive as OpenAI envelopes and become ApiError with the gateway's message.
import { currentKey } from './session.js';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {string | null} param
   * @param {string | null} code
   */
  constructor(status, message, param, code) {
    super(message);
    this.status = status;
    this.param = param;
    this.code = code;
  }
}

/** Called when the gateway says the key is no longer valid (revoked, expired). */
let onUnauthorized = () => {};
/** @param {() => void} handler */
export const whenUnauthorized = (handler) => {
  onUnauthorized = handler;
};

/**
 * @param {string} path
 * @param {{ method?: string, json?: unknown, form?: FormData, key?: string, signal?: AbortSignal }} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, options = {}) {
  const key = options.key ?? currentKey();
  /** @type {Record<string, string>} */
  const headers = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  /** @type {BodyInit | undefined} */
  let body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    body = options.form;
  }
  /** @type {RequestInit} */
  const init = { method: options.method ?? 'GET', headers, cache: 'no-store' };
  if (body !== undefined) init.body = body;
  if (options.signal !== undefined) init.signal = options.signal;
  const response = await fetch(path, init);
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && options.key === undefined) onUnauthorized();
  throw error;
}

/**
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function errorOf(response) {
  const text = await response.text();
  try {
    const parsed = /** @type {{ error?: { message?: string, param?: string | null, code?: string | null } }} */ (JSON.parse(text));
    const e = parsed.error ?? {};
    return new ApiError(response.status, e.message ?? `HTTP ${response.status}`, e.param ?? null, e.code ?? null);
  } catch {
    return new ApiError(response.status, text.trim() || `HTTP ${response.status}`, null, null);
  }
}

/**
 * A JSON answer.
 * @template T
 * @param {string} path
 * @param {Parameters<typeof request>[1]} [options]
 * @returns {Promise<T>}
 */
export async function json(path, options) {
  return /** @type {T} */ (await (await request(path, options)).json());
}

/**
 * A query string from the defined values only.
 * @param {Record<string, string | number | undefined | null>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
