/**
 * The configured `BlobStore` (`general_settings.blob_storage`, config/blob-storage.ts): a
 * directory by default, an S3-compatible bucket for replicas on several machines. Both stores are
 * ready once constructed (the filesystem one creates its directories on first write); the config
 * was validated at load, so construction does not fail on it.
 */
import type { GatewayConfig } from '../config/types.js';
import type { BlobStore } from '../domain/ports/blob-store.js';
import { FsBlobStore } from '../store/blobs/fs-blob-store.js';
import { S3BlobStore } from '../store/blobs/s3/s3-blob-store.js';

export function createBlobStore(config: GatewayConfig['blobs']): BlobStore {
  if (config.kind === 'filesystem') return new FsBlobStore({ root: config.path });
  return new S3BlobStore({
    endpoint: config.endpoint,
    region: config.region,
    bucket: config.bucket,
    prefix: config.prefix,
    pathStyle: config.pathStyle,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken === null ? {} : { sessionToken: config.sessionToken }),
    },
  });
}
