// @ts-check
// Spend: `/global/spend/report` drawn per day and per team or key, with totals, and the
// `/spend/logs` rows in a table that exports to CSV in the browser. A virtual key sees its own
// spend only, as the API decides.
import { json, query } from '../api.js';
import { stackedBars } from '../chart.js';
import { toCsv } from '../csv.js';
import { errorBox, field, h, labelCells, replace, select } from '../dom.js';
import { saveBlob } from '../download.js';
import { count, money } from '../format.js';

/** @typedef {import('../types.js').SpendDay} SpendDay */
/** @typedef {import('../types.js').SpendLog} SpendLog */

const DAY_MS = 86_400_000;
/** @param {number} ms */
const day = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Every day from `start` to `end`, so days without spend show as gaps. */
function daysBetween(/** @type {string} */ start, /** @type {string} */ end) {
  const days = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`) && days.length < 400; t += DAY_MS) days.push(day(t));
  return days;
}

/** @param {HTMLElement} main */
export async function spendPage(main) {
  const now = Date.now();
  const groupBy = select({ name: 'group_by' }, [['team', 'Team'], ['api_key', 'Key']], 'team');
  const start = h('input', { type: 'date', name: 'start_date', value: day(now - 29 * DAY_MS), required: true });
  const end = h('input', { type: 'date', name: 'end_date', value: day(now), required: true });
  const form = h(
    'form',
    { class: 'row panel', 'aria-label': 'Spend period' },
    field('Group by', groupBy),
    field('From', start),
    field('To', end),
    h('button', { type: 'submit', class: 'button' }, 'Show'),
  );
  const message = h('div', {});
  const totals = h('div', { class: 'totals', 'aria-label': 'Totals' });
  const chart = h('div', {});
  const tbody = h('tbody', {});
  const exportButton = h('button', { type: 'button', class: 'button secondary' }, 'Export CSV');
  /** @type {SpendLog[]} */
  let logs = [];

  const header = ['batch', 'day', 'team', 'key', 'model group', 'deployment', 'status', 'spend_usd', 'prompt_tokens', 'completion_tokens', 'total_tokens'];
  /** @param {SpendLog} l */
  const rowOf = (l) => [l.request_id, l.startTime.slice(0, 10), l.team_id ?? '', l.api_key ?? '', l.model_group ?? '', l.metadata.deployment_id, l.metadata.status, l.spend, l.prompt_tokens, l.completion_tokens, l.total_tokens];

  const load = async () => {
    const by = groupBy.value === 'api_key' ? 'api_key' : 'team';
    const range = { start_date: start.value, end_date: end.value };
    try {
      const [report, rows] = await Promise.all([
        /** @type {Promise<SpendDay[]>} */ (json(`/global/spend/report${query({ ...range, group_by: by })}`)),
        /** @type {Promise<SpendLog[]>} */ (json(`/spend/logs${query({ ...range, limit: 1000 })}`)),
      ]);
      logs = rows;
      replace(message);
      /** @type {Map<string, Map<string, number>>} day → group → spend */
      const byDay = new Map();
      /** @type {Map<string, { spend: number, batches: number, tokens: number }>} */
      const byGroup = new Map();
      for (const d of report) {
        const entries = (by === 'team' ? d.teams : d.api_keys) ?? [];
        const perGroup = new Map();
        for (const e of entries) {
          const name = (by === 'team' ? e.team_id : e.api_key) ?? (by === 'team' ? '(no team)' : '(master key)');
          const label = by === 'api_key' && name.length > 16 ? `${name.slice(0, 10)}…` : name;
          perGroup.set(label, (perGroup.get(label) ?? 0) + e.total_spend);
          const t = byGroup.get(label) ?? { spend: 0, batches: 0, tokens: 0 };
          t.spend += e.total_spend;
          t.batches += e.batches;
          t.tokens += e.total_input_tokens + e.total_output_tokens;
          byGroup.set(label, t);
        }
        byDay.set(d.group_by_day, perGroup);
      }
      const all = [...byGroup.values()].reduce((a, t) => ({ spend: a.spend + t.spend, batches: a.batches + t.batches, tokens: a.tokens + t.tokens }), { spend: 0, batches: 0, tokens: 0 });
      replace(
        totals,
        h('div', { class: 'total' }, h('span', { class: 'value' }, money(all.spend)), 'total spend'),
        h('div', { class: 'total' }, h('span', { class: 'value' }, count(all.batches)), 'batches booked'),
        h('div', { class: 'total' }, h('span', { class: 'value' }, count(all.tokens)), 'tokens'),
        [...byGroup].map(([name, t]) => h('div', { class: 'total' }, h('span', { class: 'value' }, money(t.spend)), name)),
      );
      const days = daysBetween(start.value, end.value);
      const series = [...byGroup.keys()];
      replace(
        chart,
        series.length === 0
          ? h('p', { class: 'muted' }, 'No spend booked in this period.')
          : stackedBars(days, series, (d, n) => byDay.get(d)?.get(n) ?? 0, `Spend per day by ${by === 'team' ? 'team' : 'key'}, ${days[0]} to ${days.at(-1)}: ${money(all.spend)} in total.`),
      );
      replace(
        tbody,
        logs.length === 0
          ? h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No batches booked in this period.'))
          : logs.map((l) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: `#/batches/${encodeURIComponent(l.request_id)}`, class: 'mono' }, l.request_id)),
                h('td', {}, l.startTime.slice(0, 10)),
                h('td', {}, l.team_id ?? '—'),
                h('td', { class: 'mono hide-narrow' }, l.api_key === null ? '—' : `${l.api_key.slice(0, 10)}…`),
                h('td', {}, l.model_group ?? '—'),
                h('td', { class: 'num' }, money(l.spend)),
                h('td', { class: 'num hide-narrow' }, count(l.total_tokens)),
              ),
            ),
      );
      exportButton.disabled = logs.length === 0;
      const table = tbody.closest('table');
      if (table !== null) labelCells(table);
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  exportButton.addEventListener('click', () => {
    const csv = toCsv(header, logs.map(rowOf));
    saveBlob(new Blob([csv], { type: 'text/csv;charset=utf-8' }), `batchgate-spend-${start.value}-to-${end.value}.csv`);
  });

  replace(
    main,
    h('h1', {}, 'Spend'),
    form,
    message,
    h('h2', {}, 'Totals'),
    totals,
    h('h2', {}, 'Per day'),
    chart,
    h('div', { class: 'row spaced' }, h('h2', {}, 'Booked batches'), exportButton),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'cards' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Batch'),
            h('th', { scope: 'col' }, 'Day'),
            h('th', { scope: 'col' }, 'Team'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Key'),
            h('th', { scope: 'col' }, 'Model group'),
            h('th', { scope: 'col', class: 'num' }, 'Spend'),
            h('th', { scope: 'col', class: 'num hide-narrow' }, 'Tokens'),
          ),
        ),
        tbody,
      ),
    ),
  );
  await load();
}
