// @ts-check
// Deployments (master key): group, provider, health as this gateway process sees it (failures in
// a row, cooldown), and batches in flight, from `GET /deployments`. Refreshed every few seconds.
// A gateway that does not serve that route still lists its deployments from `/v1/model/info`.
import { ApiError, json } from '../api.js';
import { errorBox, h, labelCells, replace } from '../dom.js';
import { count, statusText } from '../format.js';
import { every } from '../poll.js';

/** @typedef {import('../types.js').DeploymentStatus} DeploymentStatus */

const REFRESH_MS = 5000;

/** @returns {Promise<{ rows: DeploymentStatus[], full: boolean }>} */
async function load() {
  try {
    return { rows: /** @type {{ data: DeploymentStatus[] }} */ (await json('/deployments')).data, full: true };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const info = /** @type {{ data: import('../types.js').ModelInfo[] }} */ (await json('/v1/model/info')).data;
  const rows = info.map((m) => {
    const [provider = '', ...model] = m.litellm_params.model.split('/');
    return /** @type {DeploymentStatus} */ ({
      id: m.model_info.id, model_group: m.model_name, provider, upstream_model: model.join('/'), batch_execution: '—',
      health: 'unknown', consecutive_failures: 0, cooldown_until: null, last_error: null, batches_in_flight: -1, batches_by_status: {},
    });
  });
  return { rows, full: false };
}

/** @param {HTMLElement} main */
export async function deploymentsPage(main) {
  const tbody = h('tbody', {});
  const message = h('div', {});
  const note = h('p', { class: 'muted' }, 'Health is this gateway process’s view: failures in a row and cooldowns, learnt from its own calls.');
  const head = ['Deployment', 'Model group', 'Provider', 'Runs batches', 'Health', 'Cooldown until', 'In flight', 'By status'];
  replace(
    main,
    h('h1', {}, 'Deployments'),
    note,
    message,
    h('div', { class: 'table-wrap' }, h('table', { class: 'cards' }, h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))), tbody)),
  );
  return every(REFRESH_MS, async () => {
    try {
      const { rows, full } = await load();
      replace(message, full ? null : h('p', { class: 'muted' }, 'This gateway does not serve GET /deployments: health and batches in flight are not shown.'));
      replace(
        tbody,
        rows.map((d) =>
          h(
            'tr',
            {},
            h('td', { class: 'mono' }, d.id, h('div', { class: 'muted' }, d.upstream_model)),
            h('td', {}, d.model_group),
            h('td', {}, d.provider),
            h('td', {}, d.batch_execution === 'gateway' ? 'in the gateway' : d.batch_execution === 'native' ? 'upstream batch API' : '—'),
            h(
              'td',
              {},
              h('span', { class: `badge health-${d.health}` }, statusText(d.health)),
              d.consecutive_failures > 0 ? h('div', { class: 'muted' }, `${d.consecutive_failures} failure(s) in a row`) : null,
              d.last_error === null ? null : h('div', { class: 'muted wrap' }, d.last_error),
            ),
            h('td', {}, d.cooldown_until === null ? '—' : new Date(d.cooldown_until).toLocaleString()),
            h('td', { class: 'num' }, d.batches_in_flight < 0 ? '—' : count(d.batches_in_flight)),
            h('td', { class: 'wrap' }, Object.entries(d.batches_by_status).map(([s, n]) => `${statusText(s)}: ${n}`).join(', ') || '—'),
          ),
        ),
      );
      const table = tbody.closest('table');
      if (table !== null) labelCells(table);
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    }
  });
}
