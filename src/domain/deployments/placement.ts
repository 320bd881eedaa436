/**
 * Orders candidate deployments for one placement: healthy ones first, in a weighted random order
 * (LiteLLM's "simple-shuffle": each draw picks a deployment with probability proportional to its
 * weight), then the ones cooling down, as a last resort rather than no answer at all.
 */
import type { Deployment } from '../deployment.js';
import type { DeploymentHealth } from './deployment-health.js';

export type Random = () => number;

export const weightedShuffle = <T extends { readonly weight: number }>(items: readonly T[], random: Random): T[] => {
  const pool = [...items];
  const out: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, d) => sum + d.weight, 0);
    let draw = random() * total;
    let index = pool.findIndex((d) => {
      draw -= d.weight;
      return draw < 0;
    });
    if (index < 0) index = pool.length - 1;
    out.push(...pool.splice(index, 1));
  }
  return out;
};

export const placementOrder = (
  candidates: readonly Deployment[],
  health: DeploymentHealth,
  random: Random,
): Deployment[] => {
  const healthy = candidates.filter((d) => !health.isCoolingDown(d.id));
  const cooling = candidates.filter((d) => health.isCoolingDown(d.id));
  return [...weightedShuffle(healthy, random), ...weightedShuffle(cooling, random)];
};
