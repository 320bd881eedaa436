// @ts-check
// Files: the list (`GET /v1/files`, newest first, paged with `after`), and the upload form, which
// sends the same multipart body a client would, with `target_model_names` when a model group is
// chosen (the gateway then validates every line for that group and says which line is wrong).
import { ApiError, json, query, request } from '../api.js';
import { errorBox, field, h, labelCells, replace, select, toast } from '../dom.js';
import { bytes, time } from '../format.js';
import { lineProblems } from '../upload-errors.js';

/** @typedef {import('../types.js').FileObject} FileObject */

const PAGE_SIZE = 25;
const PURPOSES = ['batch', 'user_data', 'assistants', 'fine-tune', 'vision', 'evals'];

/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement} result
 * @param {() => void} done
 */
function wireUpload(form, result, done) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) {
      replace(result, errorBox('Choose a non-empty file to upload.'));
      return;
    }
    if (data.get('target_model_names') === '') data.delete('target_model_names');
    const button = form.querySelector('button[type="submit"]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
    replace(result, h('p', { class: 'muted' }, 'Uploading…'));
    try {
      const created = /** @type {FileObject} */ (await (await request('/v1/files', { method: 'POST', form: data })).json());
      replace(result, h('p', {}, 'Uploaded ', h('a', { href: `#/files/${encodeURIComponent(created.id)}`, class: 'mono' }, created.id), '.'));
      toast(`Uploaded ${created.filename}.`);
      form.reset();
      done();
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const { lines, rest } = lineProblems(err.message);
        replace(
          result,
          h(
            'div',
            { class: 'error', role: 'alert' },
            h('strong', {}, lines.length > 0 ? 'The file has problems:' : 'The file was refused:'),
            lines.length > 0 ? h('ul', { class: 'line-errors' }, lines.map((l) => h('li', {}, h('strong', {}, `Line ${l.line}: `), l.problem))) : null,
            rest === '' ? null : h('p', {}, rest),
          ),
        );
      } else {
        replace(result, errorBox(err instanceof Error ? err.message : String(err)));
      }
    } finally {
      if (button instanceof HTMLButtonElement) button.disabled = false;
    }
  });
}

/** @param {HTMLElement} main */
export async function filesPage(main) {
  const groups = /** @type {{ data: Array<{ id: string }> }} */ (await json('/v1/models').catch(() => ({ data: [] }))).data.map((m) => m.id);
  const result = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'panel stack', 'aria-labelledby': 'h-upload' },
    h('h2', { id: 'h-upload' }, 'Upload a file'),
    h(
      'div',
      { class: 'row' },
      field('File', h('input', { type: 'file', name: 'file', required: true, accept: '.jsonl,.json,.txt,application/jsonl' })),
      field('Purpose', select({ name: 'purpose' }, PURPOSES.map((p) => /** @type {[string, string]} */ ([p, p])), 'batch')),
      field(
        'Model group',
        select({ name: 'target_model_names' }, [['', 'None (plain upload)'], ...groups.map((g) => /** @type {[string, string]} */ ([g, g]))], groups[0] ?? ''),
        'With a group, every line is checked for it and the file can run on any of its deployments.',
      ),
      h('button', { type: 'submit', class: 'button' }, 'Upload'),
    ),
    result,
  );
  const tbody = h('tbody', {});
  const message = h('div', {});
  const prev = h('button', { type: 'button', class: 'button secondary' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'button secondary' }, 'Next page');
  /** @type {string[]} */
  const cursors = [];
  /** @type {FileObject[]} */
  let shown = [];

  const load = async () => {
    try {
      const page = /** @type {import('../types.js').List<FileObject>} */ (
        await json(`/v1/files${query({ limit: PAGE_SIZE, order: 'desc', after: cursors.at(-1) })}`)
      );
      shown = page.data;
      replace(
        tbody,
        shown.length === 0
          ? h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No files.'))
          : shown.map((f) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: `#/files/${encodeURIComponent(f.id)}`, class: 'mono' }, f.id)),
                h('td', { class: 'wrap' }, f.filename),
                h('td', {}, f.purpose),
                h('td', { class: 'num' }, bytes(f.bytes)),
                h('td', { class: 'hide-narrow' }, time(f.created_at)),
              ),
            ),
      );
      prev.disabled = cursors.length === 0;
      next.disabled = !page.has_more;
      const table = tbody.closest('table');
      if (table !== null) labelCells(table);
      replace(message);
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    }
  };
  prev.addEventListener('click', () => {
    cursors.pop();
    void load();
  });
  next.addEventListener('click', () => {
    const last = shown.at(-1)?.id;
    if (last === undefined) return;
    cursors.push(last);
    void load();
  });
  wireUpload(form, result, () => {
    cursors.length = 0;
    void load();
  });

  replace(
    main,
    h('h1', {}, 'Files'),
    form,
    h('h2', {}, 'Stored files'),
    message,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'cards' },
        h(
          'thead',
          {},
          h('tr', {}, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Purpose'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Created')),
        ),
        tbody,
      ),
    ),
    h('div', { class: 'actions pager' }, prev, next),
  );
  await load();
}
