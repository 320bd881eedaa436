/**
 * Chooses the deployment for a new object that is not a managed upload. Order, as LiteLLM: an
 * explicit provider (path prefix, `custom-llm-provider` header, `custom_llm_provider` query or
 * field), then the model the request names, then the default deployment.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { Deployment } from '../deployment.js';
import type { DeploymentDirectory } from './deployment-directory.js';
import type { DeploymentHealth } from './deployment-health.js';
import { placementOrder, type Random } from './placement.js';

export interface RoutingHints {
  readonly provider: string | null;
  readonly model: string | null;
}

export interface ResolvedDeployment {
  readonly deployment: Deployment;
  /** Chosen through a model group: its lines must name that deployment's upstream model. */
  readonly viaGroup: boolean;
}

export const resolveDeployment = (
  directory: DeploymentDirectory,
  health: DeploymentHealth,
  random: Random,
  hints: RoutingHints,
): ResolvedDeployment => {
  if (hints.provider !== null) {
    const ofProvider = directory.byProvider(hints.provider);
    if (ofProvider.length === 0) {
      throw new GatewayError('no_deployment', `No deployment of provider '${hints.provider}' is configured.`, {
        param: 'custom_llm_provider',
      });
    }
    const inGroup = hints.model === null ? [] : ofProvider.filter((d) => d.modelGroup === hints.model);
    const [first] = placementOrder(inGroup.length > 0 ? inGroup : ofProvider, health, random);
    if (first === undefined) throw new GatewayError('no_deployment', 'No deployment is configured.');
    return { deployment: first, viaGroup: false };
  }
  if (hints.model !== null) {
    const [first] = placementOrder(directory.group(hints.model), health, random);
    if (first !== undefined) return { deployment: first, viaGroup: true };
    const byId = directory.byId(hints.model);
    if (byId !== undefined) return { deployment: byId, viaGroup: false };
    throw new GatewayError('model_not_found', `The model '${hints.model}' is not a configured model group.`, {
      param: 'model',
    });
  }
  return { deployment: directory.defaultDeployment(), viaGroup: false };
};
