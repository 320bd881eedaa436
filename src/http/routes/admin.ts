/**
 * LiteLLM's key and team management routes, served at the root (not under /v1), behind the same
 * authentication as every route; the services decide who may call what (master key, or a key
 * reading its own info).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertAdmin } from '../../domain/auth/admin.js';
import type { KeyService } from '../../domain/keys/key-service.js';
import type { TeamService } from '../../domain/keys/team-service.js';
import { queryString } from '../request-context.js';
import { parseRequest } from '../validation.js';
import {
  UNSUPPORTED_KEY_FIELDS,
  UNSUPPORTED_TEAM_FIELDS,
  deleteKeysSchema,
  generateKeySchema,
  keySettingsOf,
  listKeysQuerySchema,
  newTeamSchema,
  refuseUnsupported,
  teamSettingsOf,
  updateKeySchema,
} from './admin-requests.js';

export interface AdminRoutesOptions {
  readonly keys: KeyService;
  readonly teams: TeamService;
}

/**
 * Refuses a virtual key before its body is read, so it gets the same 403 whatever it sent; the
 * services check again, since they are the authority.
 */
const adminOnly = (what: string) => async (request: FastifyRequest): Promise<void> => assertAdmin(request.principal, what);

export const adminRoutes = (app: FastifyInstance, options: AdminRoutesOptions): void => {
  const { keys, teams } = options;

  app.post('/key/generate', { onRequest: adminOnly('generate keys') }, async (request) => {
    const body = parseRequest(generateKeySchema, request.body);
    refuseUnsupported(request.body, UNSUPPORTED_KEY_FIELDS, '/key/generate');
    return keys.generate(request.principal, keySettingsOf(body));
  });

  app.get('/key/info', async (request) => keys.info(request.principal, queryString(request, 'key')));

  app.post('/key/update', { onRequest: adminOnly('update keys') }, async (request) => {
    const body = parseRequest(updateKeySchema, request.body);
    refuseUnsupported(request.body, UNSUPPORTED_KEY_FIELDS, '/key/update');
    return keys.update(request.principal, body.key, keySettingsOf(body));
  });

  app.post('/key/delete', { onRequest: adminOnly('delete keys') }, async (request) => {
    const body = parseRequest(deleteKeysSchema, request.body);
    return keys.delete(request.principal, { keys: body.keys ?? [], keyAliases: body.key_aliases ?? [] });
  });

  app.get('/key/list', { onRequest: adminOnly('list keys') }, async (request) => {
    const query = parseRequest(listKeysQuerySchema, request.query);
    return keys.list(request.principal, {
      teamId: query.team_id,
      userId: query.user_id,
      keyAlias: query.key_alias,
      page: query.page,
      size: query.size,
      fullObjects: query.return_full_object === 'true',
    });
  });

  app.post('/team/new', { onRequest: adminOnly('create teams') }, async (request) => {
    const body = parseRequest(newTeamSchema, request.body);
    refuseUnsupported(request.body, UNSUPPORTED_TEAM_FIELDS, '/team/new');
    return teams.create(request.principal, teamSettingsOf(body));
  });

  app.get('/team/info', async (request) => teams.info(request.principal, queryString(request, 'team_id')));

  app.get('/team/list', { onRequest: adminOnly('list teams') }, async (request) => teams.list(request.principal));
};
