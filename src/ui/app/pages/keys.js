// @ts-check
// Keys and teams. The master key lists, creates (the new key is shown once: the gateway keeps
// only its hash), edits models and budgets (`/key/update`) and deletes keys, and lists and creates
// teams. A virtual key sees its own settings only, as `/key/info` gives them.
import { json, query } from '../api.js';
import { confirmAction, formDialog } from '../dialog.js';
import { errorBox, field, h, labelCells, replace, select, toast, uid } from '../dom.js';
import { money } from '../format.js';
import { currentWho } from '../session.js';

/** @typedef {import('../types.js').KeyView} KeyView */
/** @typedef {import('../types.js').TeamView} TeamView */

const PAGE_SIZE = 25;

/**
 * Checkboxes for model groups; none checked means "every group the team allows".
 * @param {string[]} groups
 * @param {string[]} checked
 */
function modelChecks(groups, checked) {
  return h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, 'Model groups (none: all allowed)'),
    groups.map((g) => {
      const id = uid('m');
      return h('label', { for: id }, h('input', { type: 'checkbox', id, name: 'models', value: g, checked: checked.includes(g) }), g);
    }),
  );
}

/**
 * The budget fields as the API wants them: empty means "not set".
 * @param {FormData} data
 */
function budgetOf(data) {
  const max = String(data.get('max_budget') ?? '').trim();
  const duration = String(data.get('budget_duration') ?? '').trim();
  return { max_budget: max === '' ? null : Number(max), budget_duration: duration === '' ? null : duration };
}

/**
 * @param {number | null} max
 * @param {string | null} duration
 */
const budgetFields = (max, duration) => [
  field('Max budget (USD)', h('input', { type: 'number', name: 'max_budget', min: 0, step: 'any', value: max ?? '', inputmode: 'decimal' })),
  field('Budget period', h('input', { type: 'text', name: 'budget_duration', value: duration ?? '', placeholder: '30d' }), 'e.g. 1d, 7d, 30d, 1mo; empty: never resets'),
];

/** @param {HTMLElement} main */
async function ownKey(main) {
  const { info } = /** @type {{ info: KeyView }} */ (await json('/key/info'));
  replace(
    main,
    h('h1', {}, 'Your key'),
    h('p', { class: 'muted' }, 'Keys and teams are managed with the master key.'),
    h(
      'dl',
      { class: 'facts panel' },
      [
        ['Key', info.key_name],
        ['Alias', info.key_alias ?? '—'],
        ['Team', info.team_id ?? '—'],
        ['Model groups', info.models.length === 0 ? 'all allowed' : info.models.join(', ')],
        ['Spend', money(info.spend)],
        ['Budget', info.max_budget === null ? 'none' : `${money(info.max_budget)}${info.budget_duration === null ? '' : ` per ${info.budget_duration}`}`],
        ['Expires', info.expires ?? 'never'],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
}

/** @param {HTMLElement} main */
export async function keysPage(main) {
  if (currentWho()?.admin !== true) return ownKey(main);
  const groups = /** @type {{ data: Array<{ id: string }> }} */ (await json('/v1/models')).data.map((m) => m.id);
  const message = h('div', {});
  const created = h('div', { 'aria-live': 'polite' });
  const keysBody = h('tbody', {});
  const teamsBody = h('tbody', {});
  const teamSelect = select({ name: 'team_id' }, [['', 'No team']]);
  const prev = h('button', { type: 'button', class: 'button secondary' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'button secondary' }, 'Next page');
  let page = 1;
  /** @param {unknown} err */
  const fail = (err) => replace(message, errorBox(err instanceof Error ? err.message : String(err)));

  /** @param {KeyView} k */
  const edit = async (k) => {
    const data = await formDialog(`Edit key ${k.key_alias ?? k.key_name}`, [modelChecks(groups, k.models), ...budgetFields(k.max_budget, k.budget_duration)], 'Save');
    if (data === null) return;
    try {
      await json('/key/update', { method: 'POST', json: { key: k.token, models: data.getAll('models').map(String), ...budgetOf(data) } });
      toast('Key updated.');
      await loadKeys();
    } catch (err) {
      fail(err);
    }
  };
  /** @param {KeyView} k */
  const remove = async (k) => {
    const ok = await confirmAction({ title: 'Delete this key?', message: `${k.key_alias ?? k.key_name} will stop working at once. This cannot be undone.`, confirm: 'Delete key' });
    if (!ok) return;
    try {
      await json('/key/delete', { method: 'POST', json: { keys: [k.token] } });
      toast('Key deleted.');
      await loadKeys();
    } catch (err) {
      fail(err);
    }
  };

  const loadKeys = async () => {
    const list = /** @type {{ keys: KeyView[], total_pages: number }} */ (await json(`/key/list${query({ page, size: PAGE_SIZE, return_full_object: 'true' })}`));
    replace(
      keysBody,
      list.keys.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No keys yet.'))
        : list.keys.map((k) =>
            h(
              'tr',
              {},
              h('td', {}, h('span', { class: 'mono' }, k.key_name), k.key_alias === null ? null : h('div', {}, k.key_alias)),
              h('td', {}, k.team_id ?? '—'),
              h('td', { class: 'wrap' }, k.models.length === 0 ? 'all allowed' : k.models.join(', ')),
              h('td', { class: 'num' }, money(k.spend)),
              h('td', { class: 'num' }, k.max_budget === null ? '—' : `${money(k.max_budget)}${k.budget_duration === null ? '' : ` / ${k.budget_duration}`}`),
              h(
                'td',
                {},
                h(
                  'div',
                  { class: 'actions' },
                  h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Edit ${k.key_alias ?? k.key_name}`, onclick: () => void edit(k) }, 'Edit'),
                  h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${k.key_alias ?? k.key_name}`, onclick: () => void remove(k) }, 'Delete'),
                ),
              ),
            ),
          ),
    );
    prev.disabled = page <= 1;
    next.disabled = page >= list.total_pages;
    const table = keysBody.closest('table');
    if (table !== null) labelCells(table);
  };

  const loadTeams = async () => {
    const teams = /** @type {TeamView[]} */ (await json('/team/list'));
    replace(
      teamsBody,
      teams.length === 0
        ? h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No teams yet.'))
        : teams.map((t) =>
            h(
              'tr',
              {},
              h('td', {}, h('span', { class: 'mono' }, t.team_id), t.team_alias === null ? null : h('div', {}, t.team_alias)),
              h('td', { class: 'wrap' }, t.models.length === 0 ? 'all' : t.models.join(', ')),
              h('td', { class: 'num' }, money(t.spend)),
              h('td', { class: 'num' }, t.max_budget === null ? '—' : `${money(t.max_budget)}${t.budget_duration === null ? '' : ` / ${t.budget_duration}`}`),
            ),
          ),
    );
    const table = teamsBody.closest('table');
    if (table !== null) labelCells(table);
    const chosen = teamSelect.value;
    replace(teamSelect, h('option', { value: '' }, 'No team'), teams.map((t) => h('option', { value: t.team_id, selected: t.team_id === chosen }, t.team_alias ?? t.team_id)));
  };

  const keyForm = h(
    'form',
    { class: 'panel stack', 'aria-labelledby': 'h-new-key' },
    h('h2', { id: 'h-new-key' }, 'Create a key'),
    h('div', { class: 'row' }, field('Alias', h('input', { type: 'text', name: 'key_alias', placeholder: 'optional' })), field('Team', teamSelect), ...budgetFields(null, null)),
    modelChecks(groups, []),
    h('button', { type: 'submit', class: 'button' }, 'Create key'),
    created,
  );
  keyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(keyForm);
    const alias = String(data.get('key_alias') ?? '').trim();
    const team = String(data.get('team_id') ?? '');
    const models = data.getAll('models').map(String);
    try {
      const key = /** @type {KeyView & { key: string }} */ (
        await json('/key/generate', {
          method: 'POST',
          json: { ...(alias === '' ? {} : { key_alias: alias }), ...(team === '' ? {} : { team_id: team }), ...(models.length === 0 ? {} : { models }), ...budgetOf(data) },
        })
      );
      // Shown once: the gateway stores only a hash, so this is the only time it can be copied.
      const copy = h('button', { type: 'button', class: 'button small secondary' }, 'Copy');
      copy.addEventListener('click', () => void navigator.clipboard?.writeText(key.key).then(() => toast('Copied.'), () => toast('Copy failed; select the key instead.')));
      replace(
        created,
        h(
          'div',
          { class: 'secret', role: 'status' },
          h('strong', {}, 'New key — copy it now, it is not shown again:'),
          h('code', { id: 'new-key' }, key.key),
          copy,
        ),
      );
      keyForm.reset();
      await loadKeys();
    } catch (err) {
      replace(created, errorBox(err instanceof Error ? err.message : String(err)));
    }
  });

  const teamForm = h(
    'form',
    { class: 'panel stack', 'aria-labelledby': 'h-new-team' },
    h('h2', { id: 'h-new-team' }, 'Create a team'),
    h('div', { class: 'row' }, field('Team id', h('input', { type: 'text', name: 'team_id', required: true })), field('Name', h('input', { type: 'text', name: 'team_alias' })), ...budgetFields(null, null)),
    modelChecks(groups, []),
    h('button', { type: 'submit', class: 'button' }, 'Create team'),
  );
  teamForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(teamForm);
    const alias = String(data.get('team_alias') ?? '').trim();
    const models = data.getAll('models').map(String);
    try {
      await json('/team/new', {
        method: 'POST',
        json: { team_id: String(data.get('team_id') ?? '').trim(), ...(alias === '' ? {} : { team_alias: alias }), ...(models.length === 0 ? {} : { models }), ...budgetOf(data) },
      });
      toast('Team created.');
      teamForm.reset();
      await loadTeams();
    } catch (err) {
      fail(err);
    }
  });

  prev.addEventListener('click', () => {
    page = Math.max(1, page - 1);
    void loadKeys().catch(fail);
  });
  next.addEventListener('click', () => {
    page += 1;
    void loadKeys().catch(fail);
  });

  /** @param {string[]} heads */
  const thead = (heads) => h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t))));
  replace(
    main,
    h('h1', {}, 'Keys and teams'),
    message,
    h('h2', {}, 'Keys'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'cards' }, thead(['Key', 'Team', 'Model groups', 'Spend', 'Budget', 'Actions']), keysBody)),
    h('div', { class: 'actions pager' }, prev, next),
    keyForm,
    h('h2', {}, 'Teams'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'cards' }, thead(['Team', 'Model groups', 'Spend', 'Budget']), teamsBody)),
    teamForm,
  );
  await Promise.all([loadKeys(), loadTeams()]).catch(fail);
}
