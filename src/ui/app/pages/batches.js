// @ts-check
// The batches list: one page of `GET /v1/batches` (its `limit`/`after` paging, its
// `target_model_names` filter for the model group, batchgate's `team_id` filter for the team),
// refreshed every few seconds in place so progress moves without a reload. Status has no API
// filter (OpenAI's list has none), so it narrows the page shown.
import { json, query } from '../api.js';
import { errorBox, field, h, replace, select } from '../dom.js';
import { BatchFacts } from '../facts.js';
import { money, statusText, time } from '../format.js';
import { every } from '../poll.js';
import { progressBar } from '../progress.js';
import { currentWho } from '../session.js';

/** @typedef {import('../types.js').Batch} Batch */

const PAGE_SIZE = 20;
const REFRESH_MS = 3000;
const STATUSES = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'];

/** Filters and position survive a visit to a batch page and back. */
/** @type {{ status: string, group: string, team: string, cursors: string[] }} */
const state = { status: '', group: '', team: '', cursors: [] };

/**
 * One table row whose cells are updated in place, so a focused link keeps its focus.
 * @param {Batch} b
 */
function batchRow(b) {
  const status = h('span', { class: 'badge' });
  const group = h('td', { 'data-label': 'Model group' });
  const deployment = h('td', { class: 'mono hide-narrow', 'data-label': 'Deployment' });
  const progress = progressBar(`Progress of ${b.id}`);
  const cost = h('td', { class: 'num', 'data-label': 'Cost' });
  const tr = h(
    'tr',
    { 'data-batch-id': b.id },
    h('td', {}, h('a', { href: `#/batches/${encodeURIComponent(b.id)}`, class: 'mono' }, b.id)),
    h('td', { 'data-label': 'Status' }, status),
    group,
    deployment,
    h('td', { class: 'hide-narrow', 'data-label': 'Created' }, time(b.created_at)),
    h('td', { 'data-label': 'Progress' }, progress.el),
    cost,
  );
  /**
   * @param {Batch} batch
   * @param {BatchFacts} facts
   */
  const update = (batch, facts) => {
    status.className = `badge status-${batch.status}`;
    status.textContent = statusText(batch.status);
    group.textContent = facts.groupOf(batch.id) ?? '—';
    deployment.textContent = facts.deploymentOf(batch.id) ?? '—';
    progress.update(batch.request_counts);
    cost.textContent = money(facts.costOf(batch.id));
  };
  return { tr, update };
}

/** @param {HTMLElement} main */
export async function batchesPage(main) {
  const who = currentWho();
  const facts = new BatchFacts();
  await facts.loadModels();
  /** @type {string[]} */
  let teams = who?.teamId ? [who.teamId] : [];
  if (who?.admin === true) {
    teams = /** @type {import('../types.js').TeamView[]} */ (await json('/team/list').catch(() => [])).map((t) => t.team_id);
  }

  const statusSelect = select({ name: 'status' }, [['', 'Any status'], ...STATUSES.map((s) => /** @type {[string, string]} */ ([s, statusText(s)]))], state.status);
  const groupSelect = select({ name: 'group' }, [['', 'Any model group'], ...facts.groupNames.map((g) => /** @type {[string, string]} */ ([g, g]))], state.group);
  const teamSelect = select({ name: 'team' }, [['', 'Any team'], ...teams.map((t) => /** @type {[string, string]} */ ([t, t]))], state.team);
  const filters = h(
    'form',
    { class: 'row panel', role: 'search', 'aria-label': 'Filter batches' },
    field('Status', statusSelect),
    field('Model group', groupSelect),
    teams.length > 0 ? field('Team', teamSelect) : null,
  );
  const tbody = h('tbody', {});
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'cards' },
      h('caption', { class: 'muted', hidden: true }, 'Batches'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Batch'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Model group'),
          h('th', { scope: 'col', class: 'hide-narrow' }, 'Deployment'),
          h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'),
          h('th', { scope: 'col' }, 'Progress'),
          h('th', { scope: 'col', class: 'num' }, 'Cost'),
        ),
      ),
      tbody,
    ),
  );
  const note = h('p', { class: 'muted', id: 'batches-note' });
  const message = h('div', {});
  const prev = h('button', { type: 'button', class: 'button secondary' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'button secondary' }, 'Next page');
  replace(main, h('h1', {}, 'Batches'), filters, message, note, table, h('div', { class: 'actions pager' }, prev, next));

  /** @type {Map<string, ReturnType<typeof batchRow>>} */
  const rows = new Map();
  /** @type {import('../types.js').List<Batch> | null} */
  let page = null;

  const draw = () => {
    if (page === null) return;
    const shown = page.data.filter(
      (b) => state.status === '' || b.status === state.status,
    );
    const order = shown.map((b) => {
      const row = rows.get(b.id) ?? batchRow(b);
      rows.set(b.id, row);
      row.update(b, facts);
      return row.tr;
    });
    // Reorder only when the set changed: moving a row would drop the focus inside it.
    const same = order.length === tbody.children.length && order.every((tr, i) => tbody.children[i] === tr);
    if (!same) replace(tbody, ...order);
    if (shown.length === 0) replace(tbody, h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No batches match.')));
    const filtered = state.status !== '';
    note.textContent =
      `Page ${state.cursors.length + 1}: ${shown.length} of ${page.data.length} batches shown` +
      (filtered ? ' (the status narrows this page)' : '') +
      ` · updated ${new Date().toLocaleTimeString()}`;
    prev.disabled = state.cursors.length === 0;
    next.disabled = !page.has_more;
  };

  const load = async () => {
    const after = state.cursors.at(-1);
    page = /** @type {import('../types.js').List<Batch>} */ (
      await json(`/v1/batches${query({ limit: PAGE_SIZE, after, target_model_names: state.group, team_id: state.team })}`)
    );
    if (state.group !== '') for (const b of page.data) facts.remember(b.id, state.group);
    await facts.refresh(page.data);
    replace(message);
    draw();
  };
  const reload = () =>
    load().catch((err) => replace(message, errorBox(err instanceof Error ? err.message : String(err))));

  statusSelect.addEventListener('change', () => {
    state.status = statusSelect.value;
    draw();
  });
  teamSelect.addEventListener('change', () => {
    state.team = teamSelect.value;
    state.cursors = [];
    void reload();
  });
  groupSelect.addEventListener('change', () => {
    state.group = groupSelect.value;
    state.cursors = [];
    void reload();
  });
  prev.addEventListener('click', () => {
    state.cursors.pop();
    void reload();
  });
  next.addEventListener('click', () => {
    const last = page?.data.at(-1)?.id;
    if (last === undefined) return;
    state.cursors.push(last);
    void reload();
  });

  return every(REFRESH_MS, reload);
}
