// @ts-check
// What the batch object does not say but the list shows: its model group, deployment, team and
// cost. All of it comes from routes the signed-in key may call anyway, so a virtual key learns
// nothing the API would not tell it:
// - cost, team and deployment from `/spend/logs`, once the batch's cost is booked (it finished);
// - the model group from `GET /v1/batches?target_model_names=<group>`, asked once per group for
//   batches not booked yet (a batch never changes group, so an answer is kept for the session);
// - the deployment of a group that has a single one from `/v1/model/info`.
import { json, query } from './api.js';

/** @typedef {import('./types.js').SpendLog} SpendLog */

/** batch id → group, for the whole session. */
const groups = new Map();
/** Batches the per-group lists were already asked about: asked again only now and then. */
const asked = new Set();
let groupsAskedAt = 0;
const GROUP_LOOKUP_EVERY_MS = 15_000;

export class BatchFacts {
  constructor() {
    /** @type {Map<string, SpendLog>} */
    this.spend = new Map();
    /** @type {Map<string, string[]>} group → deployment ids */
    this.deployments = new Map();
    /** @type {string[]} */
    this.groupNames = [];
  }

  /** The groups the key may use and their deployments; once per page. */
  async loadModels() {
    const info = await json('/v1/model/info').catch(() => ({ data: [] }));
    for (const m of /** @type {{ data: import('./types.js').ModelInfo[] }} */ (info).data) {
      const ids = this.deployments.get(m.model_name) ?? [];
      ids.push(m.model_info.id);
      this.deployments.set(m.model_name, ids);
    }
    this.groupNames = [...this.deployments.keys()].sort();
  }

  /**
   * Brings the facts up to date for the batches on screen.
   * @param {import('./types.js').Batch[]} batches
   */
  async refresh(batches) {
    const logs = /** @type {SpendLog[]} */ (await json(`/spend/logs${query({ limit: 1000 })}`).catch(() => []));
    this.spend = new Map(logs.map((l) => [l.request_id, l]));
    for (const l of logs) if (l.model_group !== null) groups.set(l.request_id, l.model_group);
    const unknown = batches.filter((b) => !groups.has(b.id));
    // A batch not seen before is looked up at once; one still unknown after that (beyond the
    // first 100 of its group) only every so often.
    const fresh = unknown.some((b) => !asked.has(b.id));
    if (unknown.length > 0 && (fresh || Date.now() - groupsAskedAt > GROUP_LOOKUP_EVERY_MS)) {
      groupsAskedAt = Date.now();
      for (const b of unknown) asked.add(b.id);
      await Promise.all(
        this.groupNames.map(async (g) => {
          const page = /** @type {import('./types.js').List<import('./types.js').Batch>} */ (
            await json(`/v1/batches${query({ target_model_names: g, limit: 100 })}`).catch(() => ({ data: [] }))
          );
          for (const b of page.data) groups.set(b.id, g);
        }),
      );
    }
  }

  /**
   * A group's name is also known for sure when the list was filtered by it.
   * @param {string} id
   * @param {string} group
   */
  remember(id, group) {
    groups.set(id, group);
  }

  /** @param {string} id */
  groupOf(id) {
    return groups.get(id) ?? null;
  }

  /** @param {string} id */
  deploymentOf(id) {
    const booked = this.spend.get(id)?.metadata.deployment_id;
    if (booked !== undefined) return booked;
    const group = this.groupOf(id);
    const ids = group === null ? undefined : this.deployments.get(group);
    return ids !== undefined && ids.length === 1 ? (ids[0] ?? null) : null;
  }

  /** @param {string} id */
  costOf(id) {
    return this.spend.get(id)?.spend ?? null;
  }

  /** @param {string} id */
  teamOf(id) {
    return this.spend.get(id)?.team_id ?? null;
  }
}
