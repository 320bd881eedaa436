import type { FileObject, FilePurpose } from '../../contracts/openai.js';
import { toSeconds } from '../ports/clock.js';
import type { ListedFile } from '../ports/store.js';

/** The wire File object of a stored file: always the gateway id, never an upstream one. */
export const toFileObject = (file: ListedFile): FileObject => ({
  id: file.id,
  object: 'file',
  bytes: file.bytes,
  created_at: toSeconds(file.createdAtMs),
  expires_at: file.expiresAt,
  filename: file.filename,
  purpose: file.purpose as FilePurpose,
  status: file.status,
  status_details: null,
});
