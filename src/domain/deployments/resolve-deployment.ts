/**
 * Chooses the deployment for a new object that is not a managed upload. Order, as LiteLLM: an
 * explicit provider (path prefix, `custom-llm-provider` header, `custom_llm_provider` query or
 * field), then the model the request names, then the default deployment.
 *
 * Only deployments the caller may use are ever considered (a key limited to some model groups
 * reaches only their deployments), so the same request always gets the same answer. Among those,
 * a plain batch upload prefers the deployments whose model group (or upstream model) its lines
 * name.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { mayUseModel } from '../auth/model-access.js';
import type { Deployment } from '../deployment.js';
import type { Principal } from '../principal.js';
import type { DeploymentDirectory } from './deployment-directory.js';
import type { DeploymentHealth } from './deployment-health.js';
import { placementOrder, type Random } from './placement.js';

export interface RoutingHints {
  readonly provider: string | null;
  readonly model: string | null;
}

/** Who routes, and what the lines of the upload ask for. */
export interface RoutingRequest {
  readonly principal: Principal;
  /** Distinct `body.model` values of a batch file's lines; empty when there are none. */
  readonly lineModels: readonly string[];
}

export interface ResolvedDeployment {
  readonly deployment: Deployment;
  /** Chosen through a model group: its lines must name that deployment's upstream model. */
  readonly viaGroup: boolean;
}

const denied = (message: string, param: string): GatewayError => new GatewayError('model_access_denied', message, { param });

export const resolveDeployment = (
  directory: DeploymentDirectory,
  health: DeploymentHealth,
  random: Random,
  hints: RoutingHints,
  request: RoutingRequest,
): ResolvedDeployment => {
  const allowed = (d: Deployment): boolean => mayUseModel(request.principal, d.modelGroup);
  const lineGroups = new Set(request.lineModels.map((m) => directory.canonicalGroup(m) ?? m));
  const namedByLines = (d: Deployment): boolean =>
    lineGroups.has(d.modelGroup) || request.lineModels.includes(d.upstreamModel);
  /** The first of the most preferred non-empty candidate list, placed by health and weight. */
  const place = (...preferences: readonly (readonly Deployment[])[]): Deployment | undefined => {
    const candidates = preferences.find((list) => list.length > 0) ?? [];
    return placementOrder(candidates, health, random)[0];
  };

  if (hints.provider !== null) {
    const ofProvider = directory.byProvider(hints.provider);
    if (ofProvider.length === 0) {
      throw new GatewayError('no_deployment', `No deployment of provider '${hints.provider}' is configured.`, {
        param: 'custom_llm_provider',
      });
    }
    const canonical = hints.model === null ? undefined : directory.canonicalGroup(hints.model);
    // A `model` hint the key may not use is refused, not quietly routed to another group.
    if (hints.model !== null && canonical !== undefined && !mayUseModel(request.principal, canonical)) {
      throw denied(`This key is not allowed to use model '${hints.model}'.`, 'model');
    }
    const usable = ofProvider.filter(allowed);
    const inGroup = usable.filter((d) => d.modelGroup === canonical);
    const first = place(inGroup, usable.filter(namedByLines), usable);
    if (first === undefined) {
      throw denied(`This key is not allowed to use any deployment of provider '${hints.provider}'.`, 'custom_llm_provider');
    }
    return { deployment: first, viaGroup: false };
  }
  if (hints.model !== null) {
    const group = directory.group(hints.model);
    if (group.length > 0) {
      const first = place(group.filter(allowed));
      if (first === undefined) throw denied(`This key is not allowed to use model '${hints.model}'.`, 'model');
      return { deployment: first, viaGroup: true };
    }
    const byId = directory.byId(hints.model);
    if (byId !== undefined) {
      if (!allowed(byId)) throw denied(`This key is not allowed to use model '${hints.model}'.`, 'model');
      return { deployment: byId, viaGroup: false };
    }
    throw new GatewayError('model_not_found', `The model '${hints.model}' is not a configured model group.`, {
      param: 'model',
    });
  }
  // The default deployment is the first configured one; when the lines name deployments or the
  // key may not use it, the first configured one that they name and the key may use.
  const usable = directory.all.filter(allowed);
  const fallback = usable.find(namedByLines) ?? usable[0];
  if (fallback !== undefined) return { deployment: fallback, viaGroup: false };
  directory.defaultDeployment(); // no deployment at all is a 400 `no_deployment`, not a 403
  throw denied('This key is not allowed to use any configured deployment.', 'model');
};
