/** `/v1/files…` routes: parse, call FileService, serialise. Errors go to the one error handler. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { listFilesQuerySchema } from '../../contracts/requests.js';
import type { FileService } from '../../domain/files/file-service.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { clientSignal } from '../client-signal.js';
import { receiveUpload } from '../multipart-upload.js';
import { providerHint, queryString } from '../request-context.js';
import { parseRequest } from '../validation.js';
import { expiresAfterOf, fieldOf, purposeOf, targetModelNamesOf } from './upload-fields.js';

export interface FileRoutesOptions {
  readonly files: FileService;
  readonly spoolDir: string;
  readonly maxUploadBytes: number;
  /** Upper bound of one request's upstream work. */
  readonly requestTimeoutMs: number;
  /** An upload body that sends nothing for this long is abandoned (slow or vanished clients). */
  readonly uploadIdleTimeoutMs: number;
}

type IdParams = { Params: { file_id: string } };

export const fileRoutes = (app: FastifyInstance, options: FileRoutesOptions): void => {
  const { files } = options;
  const signalOf = (reply: FastifyReply): AbortSignal => clientSignal(reply, options.requestTimeoutMs);

  app.post('/files', async (request, reply) => {
    // One deadline for the whole request, the body included: a client trickling bytes cannot
    // hold a spool file and a connection open for longer than any upload may take.
    const signal = signalOf(reply);
    const upload = await receiveUpload(request.raw, request.headers, {
      spoolDir: options.spoolDir,
      maxFileBytes: options.maxUploadBytes,
      idleTimeoutMs: options.uploadIdleTimeoutMs,
      signal,
    });
    try {
      const purpose = purposeOf(upload.fields);
      if (upload.file === null) {
        throw new GatewayError('missing_required_parameter', "Missing required parameter: 'file'.", { param: 'file' });
      }
      return await files.upload({
        principal: request.principal,
        purpose,
        expiresAfter: expiresAfterOf(upload.fields),
        file: upload.file,
        targetModelNames: targetModelNamesOf(upload.fields, queryString(request, 'target_model_names')),
        hints: {
          provider: providerHint(request) ?? fieldOf(upload.fields, 'custom_llm_provider'),
          model:
            fieldOf(upload.fields, 'model') ?? queryString(request, 'model') ?? (request.headers['x-litellm-model'] as string | undefined) ?? null,
        },
        signal,
      });
    } finally {
      await upload.dispose();
    }
  });

  app.get('/files', async (request) => {
    const query = parseRequest(listFilesQuerySchema, request.query);
    return files.list(request.principal, query);
  });

  app.get<IdParams>('/files/:file_id', async (request) => files.retrieve(request.principal, request.params.file_id));

  app.get<IdParams>('/files/:file_id/content', async (request, reply) => {
    const content = await files.content(request.principal, request.params.file_id, clientSignal(reply, null));
    void reply.header('content-type', content.contentType);
    if (content.bytes !== null) void reply.header('content-length', String(content.bytes));
    return reply.send(content.body);
  });

  app.delete<IdParams>('/files/:file_id', async (request, reply) =>
    files.delete(request.principal, request.params.file_id, signalOf(reply)),
  );
};
