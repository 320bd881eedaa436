import { GatewayError } from '../../errors/gateway-error.js';
import type { Principal } from '../principal.js';

/** Admin routes (keys, teams, deployment health) need the master key; a virtual key gets 403. */
export const assertAdmin = (principal: Principal, what: string): void => {
  if (!principal.isAdmin) throw new GatewayError('admin_only', `Only the master key may ${what}.`);
};
