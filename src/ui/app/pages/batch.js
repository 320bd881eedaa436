// @ts-check
// One batch: its timeline (every `*_at` it has entered), counts, usage, cost, the errors the
// gateway or upstream reported with their line numbers, its files, and cancel. Refreshed every
// few seconds until it reaches a terminal status.
import { ApiError, json, query, request } from '../api.js';
import { confirmAction } from '../dialog.js';
import { errorBox, h, replace, toast } from '../dom.js';
import { downloadFile } from '../download.js';
import { count, isoTime, money, statusText, time, TERMINAL } from '../format.js';
import { every } from '../poll.js';
import { progressBar } from '../progress.js';
import { retryFailed } from '../retry-failed.js';
import { BatchFacts } from '../facts.js';
import { go } from '../router.js';

/** @typedef {import('../types.js').Batch} Batch */

const REFRESH_MS = 2000;

/** The states a batch passes through, in the order they can happen. */
const STEPS = /** @type {const} */ ([
  ['created_at', 'Created'],
  ['in_progress_at', 'In progress'],
  ['finalizing_at', 'Finalizing'],
  ['completed_at', 'Completed'],
  ['failed_at', 'Failed'],
  ['cancelling_at', 'Cancelling'],
  ['cancelled_at', 'Cancelled'],
  ['expired_at', 'Expired'],
]);

/** @param {Batch} b */
function timeline(b) {
  const entered = STEPS.filter(([k]) => b[k] !== null).sort(([a], [c]) => (b[a] ?? 0) - (b[c] ?? 0));
  const items = entered.map(([k, label]) =>
    h('li', {}, h('strong', {}, label), ' ', h('time', { datetime: isoTime(b[k]) }, time(b[k]))),
  );
  if (!TERMINAL.has(b.status) && b.expires_at !== null) {
    items.push(h('li', { class: 'pending' }, h('strong', {}, 'Expires'), ' ', h('time', { datetime: isoTime(b.expires_at) }, time(b.expires_at))));
  }
  return h('ol', { class: 'timeline', 'aria-label': 'Timeline' }, items);
}

/**
 * @param {Array<[string, string | number | Node]>} pairs
 * @param {string} label
 */
const facts = (pairs, label) => h('dl', { class: 'facts', 'aria-label': label }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

/**
 * A download button and a link to the file's page; nothing when the batch has no such file.
 * @param {string} label
 * @param {string | null} fileId
 */
function fileLine(label, fileId) {
  if (fileId === null) return h('li', { class: 'muted' }, `${label}: none`);
  const button = h('button', { type: 'button', class: 'button small secondary', 'data-key': `download-${label}` }, `Download ${label.toLowerCase()}`);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const file = /** @type {import('../types.js').FileObject} */ (await json(`/v1/files/${encodeURIComponent(fileId)}`));
      await downloadFile(fileId, file.filename);
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('li', {}, `${label}: `, h('a', { href: `#/files/${encodeURIComponent(fileId)}`, class: 'mono' }, fileId), ' ', button);
}

/** @param {Batch} b */
function errorsTable(b) {
  const errors = b.errors?.data ?? [];
  if (errors.length === 0) return h('p', { class: 'muted' }, 'No errors reported.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Line'), h('th', { scope: 'col' }, 'Code'), h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'Message'))),
      h(
        'tbody',
        {},
        errors.map((e) =>
          h('tr', {}, h('td', { class: 'num' }, e.line ?? '—'), h('td', { class: 'mono' }, e.code), h('td', { class: 'mono' }, e.param ?? '—'), h('td', { class: 'wrap' }, e.message)),
        ),
      ),
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {string[]} params
 */
export async function batchPage(main, params) {
  const id = params[0] ?? '';
  const body = h('div', { class: 'stack' });
  const message = h('div', {});
  const progress = progressBar(`Progress of ${id}`);
  const cancel = h('button', { type: 'button', class: 'button danger', 'data-key': 'cancel' }, 'Cancel batch');
  const retry = h('button', { type: 'button', class: 'button', 'data-key': 'retry' }, 'Retry failed lines');
  replace(
    main,
    h('p', {}, h('a', { href: '#/batches' }, '← All batches')),
    h('h1', {}, 'Batch ', h('span', { class: 'mono' }, id)),
    message,
    body,
  );

  /** @type {Batch | null} */
  let batch = null;
  let cost = /** @type {number | null} */ (null);
  let drawn = '';
  let costWaits = 0;

  const draw = () => {
    if (batch === null) return;
    const b = batch;
    // Redraw only on a change, and give the focus back to the same control afterwards: polling
    // must not pull the focus from under a keyboard user.
    const seen = JSON.stringify([b, cost]);
    if (seen === drawn) return;
    drawn = seen;
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.key : undefined;
    progress.update(b.request_counts);
    cancel.hidden = TERMINAL.has(b.status) || b.status === 'cancelling';
    retry.hidden = !TERMINAL.has(b.status) || b.error_file_id === null || b.error_file_id === undefined || b.request_counts.failed === 0;
    const usage = b.usage;
    replace(
      body,
      h(
        'div',
        { class: 'row spaced' },
        h('p', {}, h('span', { class: `badge status-${b.status}`, id: 'batch-status' }, statusText(b.status)), ' ', progress.el),
        h('div', { class: 'actions' }, cancel, retry),
      ),
      h(
        'div',
        { class: 'grid' },
        h('section', { class: 'panel', 'aria-labelledby': 'h-timeline' }, h('h2', { id: 'h-timeline' }, 'Timeline'), timeline(b)),
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'h-counts' },
          h('h2', { id: 'h-counts' }, 'Requests and cost'),
          facts(
            [
              ['Total', count(b.request_counts.total)],
              ['Completed', count(b.request_counts.completed)],
              ['Failed', count(b.request_counts.failed)],
              ['Input tokens', usage === undefined ? '—' : count(usage.input_tokens)],
              ['Cached input tokens', usage?.input_tokens_details === undefined ? '—' : count(usage.input_tokens_details.cached_tokens)],
              ['Output tokens', usage === undefined ? '—' : count(usage.output_tokens)],
              ['Total tokens', usage === undefined ? '—' : count(usage.total_tokens)],
              ['Cost', cost === null ? (TERMINAL.has(b.status) ? 'not booked yet' : 'booked when it finishes') : money(cost)],
            ],
            'Requests and cost',
          ),
        ),
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'h-details' },
          h('h2', { id: 'h-details' }, 'Details'),
          facts(
            [
              ['Endpoint', b.endpoint],
              ['Model', b.model ?? '—'],
              ['Completion window', b.completion_window],
              ['Metadata', b.metadata === null ? '—' : h('code', {}, JSON.stringify(b.metadata))],
            ],
            'Details',
          ),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'h-files' },
        h('h2', { id: 'h-files' }, 'Files'),
        h('ul', { class: 'stack' }, fileLine('Input', b.input_file_id), fileLine('Output', b.output_file_id), fileLine('Errors', b.error_file_id)),
      ),
      h('section', { 'aria-labelledby': 'h-errors' }, h('h2', { id: 'h-errors' }, 'Errors'), errorsTable(b)),
    );
    const again = focused === undefined ? null : body.querySelector(`[data-key="${focused}"]`);
    if (again instanceof HTMLElement) again.focus();
  };

  cancel.addEventListener('click', async () => {
    const ok = await confirmAction({
      title: 'Cancel this batch?',
      message: `Lines of ${id} not yet run will not be run; those finished stay in the output. This cannot be undone.`,
      confirm: 'Cancel batch',
    });
    if (!ok) return;
    cancel.disabled = true;
    try {
      batch = /** @type {Batch} */ (await (await request(`/v1/batches/${encodeURIComponent(id)}/cancel`, { method: 'POST' })).json());
      toast(`Batch ${statusText(batch.status)}.`);
      draw();
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    } finally {
      cancel.disabled = false;
    }
  });

  retry.addEventListener('click', async () => {
    if (batch === null) return;
    const b = batch;
    retry.disabled = true;
    try {
      // The group the batch ran for: the CLI records it in the metadata; else the batch list says.
      let group = b.metadata?.['batchgate_model_group'] ?? b.model ?? null;
      if (group === null) {
        const facts = new BatchFacts();
        await facts.loadModels();
        await facts.refresh([b]);
        group = facts.groupOf(b.id);
      }
      if (group === null) throw new Error('The model group of this batch is not known; retry it with `batchgate batch retry-failed --model <group>`.');
      const next = await retryFailed(b, group);
      toast(`Batch ${next.id} created with the ${b.request_counts.failed} failed lines.`);
      go(`#/batches/${encodeURIComponent(next.id)}`);
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    } finally {
      retry.disabled = false;
    }
  });

  /** @returns {Promise<boolean>} whether to keep refreshing */
  const load = async () => {
    try {
      batch = /** @type {Batch} */ (await json(`/v1/batches/${encodeURIComponent(id)}`));
    } catch (err) {
      replace(message, errorBox(err instanceof ApiError && err.status === 404 ? `No batch ${id} visible to this key.` : String(err instanceof Error ? err.message : err)));
      return false;
    }
    const logs = /** @type {import('../types.js').SpendLog[]} */ (await json(`/spend/logs${query({ batch_id: id })}`).catch(() => []));
    cost = logs[0]?.spend ?? null;
    replace(message);
    draw();
    // A finished batch is polled a little longer for its cost, booked just after the status.
    if (TERMINAL.has(batch.status) && cost === null) costWaits += 1;
    return !TERMINAL.has(batch.status) || (cost === null && costWaits < 30);
  };
  return every(REFRESH_MS, load);
}
