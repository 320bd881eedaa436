// @ts-check
// One file: its facts, download, and delete (with confirmation).
import { ApiError, json, request } from '../api.js';
import { confirmAction } from '../dialog.js';
import { errorBox, h, replace, toast } from '../dom.js';
import { downloadFile } from '../download.js';
import { bytes, time } from '../format.js';
import { go } from '../router.js';

/**
 * @param {HTMLElement} main
 * @param {string[]} params
 */
export async function filePage(main, params) {
  const id = params[0] ?? '';
  const message = h('div', {});
  replace(main, h('p', {}, h('a', { href: '#/files' }, '← All files')), h('h1', {}, 'File ', h('span', { class: 'mono' }, id)), message);
  /** @type {import('../types.js').FileObject} */
  let file;
  try {
    file = await json(`/v1/files/${encodeURIComponent(id)}`);
  } catch (err) {
    replace(message, errorBox(err instanceof ApiError && err.status === 404 ? `No file ${id} visible to this key.` : String(err instanceof Error ? err.message : err)));
    return;
  }
  const download = h('button', { type: 'button', class: 'button' }, 'Download');
  const remove = h('button', { type: 'button', class: 'button danger' }, 'Delete file');
  download.addEventListener('click', async () => {
    download.disabled = true;
    try {
      await downloadFile(file.id, file.filename);
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    } finally {
      download.disabled = false;
    }
  });
  remove.addEventListener('click', async () => {
    const ok = await confirmAction({ title: 'Delete this file?', message: `${file.filename} (${file.id}) will be deleted. This cannot be undone.`, confirm: 'Delete file' });
    if (!ok) return;
    try {
      await request(`/v1/files/${encodeURIComponent(file.id)}`, { method: 'DELETE' });
      toast(`Deleted ${file.filename}.`);
      go('#/files');
    } catch (err) {
      replace(message, errorBox(err instanceof Error ? err.message : String(err)));
    }
  });
  main.append(
    h(
      'div',
      { class: 'panel stack' },
      h(
        'dl',
        { class: 'facts' },
        [
          ['Name', file.filename],
          ['Purpose', file.purpose],
          ['Size', bytes(file.bytes)],
          ['Status', file.status + (file.status_details === null ? '' : ` — ${file.status_details}`)],
          ['Created', time(file.created_at)],
          ['Expires', time(file.expires_at)],
        ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      h('div', { class: 'actions' }, download, remove),
    ),
  );
}
