/**
 * OpenAI message content → Gemini `parts` (`reference/wire.md` §4.4, §7.4), shared by the Vertex
 * AI and Gemini API adapters (both take the same `Content`). Pure. Images arrive as URLs only: a
 * `data:` URL becomes `inlineData`, a `gs://` or `http(s)://` URL becomes `fileData`, whose
 * `mimeType` Google requires and which we cannot fetch to sniff, so it is read from the URL's
 * extension and a URL without a known one is refused (one clear 400 at upload rather than
 * thousands of failed lines hours later). `upstream` names the API in refusals ("Vertex AI").
 */
import { GatewayError } from '../../../errors/gateway-error.js';
import { isRecord, stringAt, type JsonRecord } from '../json.js';

export type GeminiPart = Record<string, unknown>;

export const invalidLine = (message: string, param: string | null = null): GatewayError =>
  new GatewayError('invalid_request', message, { param });

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
};

/** The MIME type a URL's last path segment names, ignoring query and fragment; null if unknown. */
export const mimeTypeOfUrl = (url: string): string | null => {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot < 0) return null;
  const extension = name.slice(dot + 1).toLowerCase();
  return Object.hasOwn(MIME_BY_EXTENSION, extension) ? (MIME_BY_EXTENSION[extension] ?? null) : null;
};

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)(?:;[a-z0-9-]+=[^;,]*)*;base64,(.*)$/is;

/** One URL (image or file) as a Gemini part. */
export const partOfUrl = (url: string, param: string, upstream: string): GeminiPart => {
  if (url.startsWith('data:')) {
    const match = DATA_URL.exec(url);
    if (match === null) throw invalidLine(`${param} is a data: URL that is not base64 with a MIME type (data:<type>;base64,<data>)`, param);
    return { inlineData: { mimeType: (match[1] ?? '').toLowerCase(), data: match[2] ?? '' } };
  }
  if (/^(?:gs|https?):\/\//i.test(url)) {
    const mimeType = mimeTypeOfUrl(url);
    if (mimeType === null) {
      throw invalidLine(
        `${param}: ${upstream} needs the media type of a URL and it cannot be told from this one's extension; ` +
          `use a data: URL or a URL ending in ${Object.keys(MIME_BY_EXTENSION).map((e) => `.${e}`).join(', ')}`,
        param,
      );
    }
    return { fileData: { mimeType, fileUri: url } };
  }
  throw invalidLine(`${param} must be a data:, gs:// or https:// URL`, param);
};

const imagePart = (part: JsonRecord, param: string, upstream: string): GeminiPart => {
  const image = part['image_url'];
  const url = typeof image === 'string' ? image : isRecord(image) ? stringAt(image, 'url') : null;
  if (url === null || url === '') throw invalidLine(`${param}.image_url.url is required`, param);
  return partOfUrl(url, `${param}.image_url.url`, upstream);
};

const filePart = (part: JsonRecord, param: string, upstream: string): GeminiPart => {
  const file = isRecord(part['file']) ? part['file'] : {};
  const data = stringAt(file, 'file_data');
  if (data === null) {
    throw invalidLine(`${param}: ${upstream} batch lines take files as file.file_data (a data: URL); file_id is not supported`, param);
  }
  return partOfUrl(data, `${param}.file.file_data`, upstream);
};

/** Text-only content (system, developer, tool messages): a string or text parts. */
export const textOf = (content: unknown, param: string): string => {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw invalidLine(`${param} must be a string or an array of content parts`, param);
  return content
    .map((part, i) => {
      if (!isRecord(part) || (part['type'] !== 'text' && part['type'] !== 'refusal')) {
        throw invalidLine(`${param}[${i}] must be a text part here`, param);
      }
      return stringAt(part, 'text') ?? stringAt(part, 'refusal') ?? '';
    })
    .join('\n');
};

/** User or assistant content → parts; audio and unknown part types are refused, naming them. */
export const partsOf = (content: unknown, param: string, upstream: string): GeminiPart[] => {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (content === null || content === undefined) return [];
  if (!Array.isArray(content)) throw invalidLine(`${param} must be a string or an array of content parts`, param);
  return content.map((part, i): GeminiPart => {
    const where = `${param}[${i}]`;
    if (!isRecord(part)) throw invalidLine(`${where} must be an object`, param);
    switch (part['type']) {
      case 'text':
        return { text: stringAt(part, 'text') ?? '' };
      case 'refusal':
        return { text: stringAt(part, 'refusal') ?? '' };
      case 'image_url':
        return imagePart(part, where, upstream);
      case 'file':
        return filePart(part, where, upstream);
      case 'input_audio':
        throw invalidLine(`${where}: audio input is not supported by ${upstream} batch deployments`, param);
      default:
        throw invalidLine(`${where} has type '${String(part['type'])}', which ${upstream} batch deployments do not support`, param);
    }
  });
};
