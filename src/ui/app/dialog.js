// @ts-check
// Confirmation before anything that cannot be undone (cancel a batch, delete a file or a key), in
// a native modal <dialog>: it traps focus, closes on Escape, and hands focus back afterwards.
import { h } from './dom.js';

/**
 * @param {{ title: string, message: string, confirm: string, danger?: boolean }} options
 * @returns {Promise<boolean>}
 */
export function confirmAction(options) {
  return new Promise((resolve) => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const titleId = `dlg-${Date.now()}`;
    const cancelButton = h('button', { type: 'button', class: 'button secondary', onclick: () => dialog.close('cancel') }, 'Keep it');
    const confirmButton = h(
      'button',
      { type: 'button', class: options.danger === false ? 'button' : 'button danger', onclick: () => dialog.close('confirm') },
      options.confirm,
    );
    const dialog = h(
      'dialog',
      { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, options.title),
      h('p', {}, options.message),
      h('div', { class: 'actions' }, cancelButton, confirmButton),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
      opener?.focus();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    // The safe choice has the focus, so Enter on a stray keypress does not destroy anything.
    cancelButton.focus();
  });
}

/**
 * A modal form; resolves with the form's data, or null when dismissed.
 * @param {string} title
 * @param {HTMLElement[]} fields
 * @param {string} submitText
 * @returns {Promise<FormData | null>}
 */
export function formDialog(title, fields, submitText) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Date.now()}`;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const form = h(
      'form',
      { method: 'dialog', class: 'stack' },
      h('h2', { id: titleId }, title),
      ...fields,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button secondary', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { type: 'submit', class: 'button', value: 'save' }, submitText),
      ),
    );
    const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'save' ? new FormData(form) : null);
      dialog.remove();
      opener?.focus();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
