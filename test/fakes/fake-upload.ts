/**
 * Receives a `multipart/form-data` upload with busboy, streaming the `file` part to disk as it
 * arrives (never buffered whole). Fields are validated afterwards, because a client may send them
 * after the file.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { FakeFileStore, WrittenBlob } from './fake-file-store.js';

export interface ReceivedUpload {
  readonly fields: Readonly<Record<string, string>>;
  readonly file: { readonly filename: string; readonly blob: WrittenBlob } | null;
}

/** An upload the fake rejects with 400 before reading it (not multipart at all). */
export class NotMultipartError extends Error {}

export const receiveUpload = (req: IncomingMessage, store: FakeFileStore): Promise<ReceivedUpload> =>
  new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8' });
    } catch (error) {
      req.resume();
      reject(new NotMultipartError(error instanceof Error ? error.message : String(error)));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Promise<{ filename: string; blob: WrittenBlob }> | null = null;

    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || file !== null) {
        stream.resume(); // extra parts are read and dropped, as busboy needs every part consumed
        return;
      }
      const writing = store.write(stream).then((blob) => ({ filename: info.filename ?? 'file', blob }));
      // Keep a rejection from being unhandled before `close` awaits it.
      writing.catch(() => undefined);
      file = writing;
    });
    parser.on('error', reject);
    parser.on('close', () => {
      if (file === null) {
        resolve({ fields, file: null });
        return;
      }
      file.then((received) => resolve({ fields, file: received }), reject);
    });
    req.pipe(parser);
  });
