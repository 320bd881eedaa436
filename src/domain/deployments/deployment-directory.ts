/**
 * The configured deployments, indexed the ways the domain looks them up: by stable id (stored
 * objects route back through it), by model group (placement) and by provider kind (explicit
 * provider hints on new objects).
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { Deployment } from '../deployment.js';

export class DeploymentDirectory {
  private readonly byIdMap = new Map<string, Deployment>();
  private readonly byGroupMap = new Map<string, Deployment[]>();

  /**
   * @param aliases `router_settings.model_group_alias`: alias → group. Lookups by group name
   * accept an alias too; `canonicalGroup` says which group it stands for.
   */
  constructor(
    readonly all: readonly Deployment[],
    private readonly aliases: Readonly<Record<string, string>> = {},
  ) {
    for (const d of all) {
      this.byIdMap.set(d.id, d);
      const group = this.byGroupMap.get(d.modelGroup) ?? [];
      group.push(d);
      this.byGroupMap.set(d.modelGroup, group);
    }
  }

  byId(id: string): Deployment | undefined {
    return this.byIdMap.get(id);
  }

  /** The deployment that holds a stored object; it must still be configured to be reached. */
  holding(id: string, what: string): Deployment {
    const d = this.byIdMap.get(id);
    if (d === undefined) {
      throw new GatewayError(
        'no_deployment',
        `The deployment '${id}' that holds this ${what} is no longer configured; restore it (same model_info.id) to reach the ${what}.`,
      );
    }
    return d;
  }

  /** The group a name stands for: itself when it is a group, its target when it is an alias. */
  canonicalGroup(name: string): string | undefined {
    if (this.byGroupMap.has(name)) return name;
    const target = this.aliases[name];
    return target !== undefined && this.byGroupMap.has(target) ? target : undefined;
  }

  /** Every name a group answers to: the group and its aliases. */
  namesOf(group: string): string[] {
    return [group, ...Object.keys(this.aliases).filter((alias) => this.aliases[alias] === group)];
  }

  group(name: string): readonly Deployment[] {
    const canonical = this.canonicalGroup(name);
    return canonical === undefined ? [] : (this.byGroupMap.get(canonical) ?? []);
  }

  hasGroup(name: string): boolean {
    return this.canonicalGroup(name) !== undefined;
  }

  groupNames(): string[] {
    return [...this.byGroupMap.keys()];
  }

  byProvider(kind: string): Deployment[] {
    return this.all.filter((d) => d.provider === kind);
  }

  /** The first configured deployment, used when a request names neither provider nor model. */
  defaultDeployment(): Deployment {
    const first = this.all[0];
    if (first === undefined) throw new GatewayError('no_deployment', 'No deployment is configured.');
    return first;
  }
}
