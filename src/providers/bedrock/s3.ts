/**
 * The S3 calls a Bedrock deployment needs (`reference/wire.md` §5.4), addressed either
 * virtual-hosted (`https://{bucket}.s3.{region}.amazonaws.com/{key}`, AWS's default) or path-style
 * (`{endpoint}/{bucket}/{key}`, for `s3_endpoint_url` servers and `s3_use_path_style`).
 * Objects are named `s3://bucket/key` in refs.
 */
import type { Readable } from 'node:stream';
import type { UpstreamError } from '../../errors/upstream-error.js';
import type { AwsTransport } from './aws-http.js';
import type { BedrockConfig } from './params.js';
import { encodeKeyPath } from './signer.js';
import { xmlBlocks, xmlEscape, xmlText } from './xml.js';

export interface S3Object {
  readonly bucket: string;
  readonly key: string;
}

export interface S3Listed {
  readonly key: string;
  readonly size: number;
  /** Milliseconds since the epoch. */
  readonly lastModifiedMs: number | null;
}

export interface S3Page {
  readonly objects: readonly S3Listed[];
  readonly nextToken: string | null;
}

export const formatS3Uri = ({ bucket, key }: S3Object): string => `s3://${bucket}/${key}`;

export const parseS3Uri = (uri: string): S3Object | null => {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  return match === null ? null : { bucket: match[1] ?? '', key: match[2] ?? '' };
};

export interface S3Client {
  putObject(obj: S3Object, body: Buffer, signal: AbortSignal): Promise<void>;
  createMultipartUpload(obj: S3Object, signal: AbortSignal): Promise<string>;
  /** Returns the part's ETag. */
  uploadPart(obj: S3Object, uploadId: string, partNumber: number, body: Buffer, signal: AbortSignal): Promise<string>;
  completeMultipartUpload(obj: S3Object, uploadId: string, etags: readonly string[], signal: AbortSignal): Promise<void>;
  abortMultipartUpload(obj: S3Object, uploadId: string, signal: AbortSignal): Promise<void>;
  getObject(obj: S3Object, signal: AbortSignal, what: string): Promise<{ body: Readable; bytes: number | null }>;
  deleteObject(obj: S3Object, signal: AbortSignal): Promise<void>;
  listObjects(bucket: string, prefix: string, options: { token?: string | null; maxKeys?: number; signal: AbortSignal }): Promise<S3Page>;
}

const CONTENT_TYPE_JSONL = 'application/jsonl';

/** `malformed`: the error for a 2xx answer that is not what S3 promises. */
export const createS3Client = (transport: AwsTransport, config: BedrockConfig, malformed: (what: string) => UpstreamError): S3Client => {
  const endpoint = config.s3Endpoint ?? `https://s3.${config.s3Region}.amazonaws.com`;
  const address = (bucket: string, key: string): { origin: string; path: string } => {
    const keyPath = key === '' ? '/' : `/${encodeKeyPath(key)}`;
    if (config.s3PathStyle) return { origin: endpoint, path: `/${bucket}${key === '' ? '' : keyPath}` };
    const url = new URL(endpoint);
    return { origin: `${url.protocol}//${bucket}.${url.host}${url.pathname.replace(/\/+$/, '')}`, path: keyPath };
  };

  return {
    async putObject(obj, body, signal) {
      await transport.send({
        method: 'PUT',
        ...address(obj.bucket, obj.key),
        headers: { 'content-type': CONTENT_TYPE_JSONL },
        body,
        signal,
        what: 'writing the input object',
        operation: 's3.PutObject',
      });
    },
    async createMultipartUpload(obj, signal) {
      const answer = await transport.send({
        method: 'POST',
        ...address(obj.bucket, obj.key),
        query: { uploads: '' },
        headers: { 'content-type': CONTENT_TYPE_JSONL },
        signal,
        what: 'starting the upload of the input object',
        operation: 's3.CreateMultipartUpload',
      });
      const uploadId = typeof answer.body === 'string' ? xmlText(answer.body, 'UploadId') : null;
      if (uploadId === null || uploadId === '') throw malformed('S3 started a multipart upload without an UploadId');
      return uploadId;
    },
    async uploadPart(obj, uploadId, partNumber, body, signal) {
      const answer = await transport.send({
        method: 'PUT',
        ...address(obj.bucket, obj.key),
        query: { partNumber: String(partNumber), uploadId },
        body,
        signal,
        what: `uploading part ${partNumber} of the input object`,
        operation: 's3.UploadPart',
      });
      const etag = answer.headers['etag'];
      const value = Array.isArray(etag) ? etag[0] : etag;
      if (value === undefined || value === '') throw malformed(`S3 accepted part ${partNumber} without an ETag`);
      return value;
    },
    async completeMultipartUpload(obj, uploadId, etags, signal) {
      const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`).join('');
      const answer = await transport.send({
        method: 'POST',
        ...address(obj.bucket, obj.key),
        query: { uploadId },
        headers: { 'content-type': 'application/xml' },
        body: Buffer.from(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts}</CompleteMultipartUpload>`),
        signal,
        what: 'completing the upload of the input object',
        operation: 's3.CompleteMultipartUpload',
      });
      // S3 may answer 200 and still fail the completion, with an <Error> document as the body.
      if (typeof answer.body === 'string' && answer.body.includes('<Error>')) {
        throw malformed(`S3 could not complete the upload of the input object (${xmlText(answer.body, 'Code') ?? 'unknown error'})`);
      }
    },
    async abortMultipartUpload(obj, uploadId, signal) {
      await transport.send({
        method: 'DELETE',
        ...address(obj.bucket, obj.key),
        query: { uploadId },
        signal,
        what: 'aborting the upload of the input object',
        operation: 's3.AbortMultipartUpload',
      });
    },
    async getObject(obj, signal, what) {
      const response = await transport.stream({ method: 'GET', ...address(obj.bucket, obj.key), signal, what, operation: 's3.GetObject' });
      const length = response.headers['content-length'];
      const text = Array.isArray(length) ? length[0] : length;
      return { body: response.body, bytes: text !== undefined && /^\d+$/.test(text) ? Number(text) : null };
    },
    async deleteObject(obj, signal) {
      await transport.send({ method: 'DELETE', ...address(obj.bucket, obj.key), signal, what: 'deleting the input object', operation: 's3.DeleteObject' });
    },
    async listObjects(bucket, prefix, { token = null, maxKeys = 1000, signal }) {
      const answer = await transport.send({
        method: 'GET',
        ...address(bucket, ''),
        query: {
          'list-type': '2',
          prefix,
          'max-keys': String(maxKeys),
          ...(token === null ? {} : { 'continuation-token': token }),
        },
        signal,
        what: 'listing the bucket',
        operation: 's3.ListObjectsV2',
      });
      const xml = typeof answer.body === 'string' ? answer.body : '';
      const objects = xmlBlocks(xml, 'Contents').map((block) => {
        const modified = xmlText(block, 'LastModified');
        const ms = modified === null ? Number.NaN : Date.parse(modified);
        return { key: xmlText(block, 'Key') ?? '', size: Number(xmlText(block, 'Size') ?? 0), lastModifiedMs: Number.isNaN(ms) ? null : ms };
      });
      const truncated = xmlText(xml, 'IsTruncated') === 'true';
      return { objects, nextToken: truncated ? xmlText(xml, 'NextContinuationToken') : null };
    },
  };
};
