/**
 * Model-group access: a principal with a model list may only use those groups. Checked on upload
 * (target groups and every line's `body.model`) and at batch create, never against deployment
 * ids (LiteLLM #32580 checked a deployment hash as if it were a model name).
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { Principal } from '../principal.js';

export const mayUseModel = (principal: Principal, group: string): boolean =>
  principal.models === null || principal.models.includes(group);

export const assertMayUseModel = (principal: Principal, group: string, where?: string): void => {
  if (mayUseModel(principal, group)) return;
  throw new GatewayError(
    'model_access_denied',
    `This key is not allowed to use model '${group}'${where === undefined ? '' : ` (${where})`}.`,
    { param: 'model' },
  );
};
