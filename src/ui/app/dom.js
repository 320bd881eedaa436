// @ts-check
// Building DOM nodes without innerHTML: every string from the API becomes a text node, so a file
// name or an upstream error message can never inject markup or script into the console.

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {string | number | boolean | null | undefined | ((event: any) => void)} AttrValue */

/**
 * An element with attributes and children. `on<event>` attributes given a function become
 * listeners; `true` sets a boolean attribute, `false`/`null`/`undefined` leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {Array<Child | Child[]>} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces everything inside `parent`.
 * @param {Node} parent
 * @param {...(Child | Child[])} children
 */
export function replace(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/**
 * A labelled form field: the label is tied to the control by id (screen readers announce it,
 * clicking it focuses the control).
 * @param {string} text
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
 * @param {string} [hint]
 */
export function field(text, control, hint) {
  if (!control.id) control.id = uid('f');
  const hintEl = hint === undefined ? null : h('small', { class: 'muted', id: `${control.id}-hint` }, hint);
  if (hintEl !== null) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, text), control, hintEl);
}

let counter = 0;
/** @param {string} prefix */
export const uid = (prefix) => `${prefix}-${++counter}`;

/**
 * `<select>` with options; `selected` picks one by value.
 * @param {Record<string, AttrValue>} attrs
 * @param {Array<[string, string]>} options value, text
 * @param {string} [selected]
 */
export function select(attrs, options, selected) {
  return h('select', attrs, ...options.map(([value, text]) => h('option', { value, selected: value === selected }, text)));
}

/** @param {string} message */
export function errorBox(message) {
  return h('div', { class: 'error', role: 'alert' }, message);
}

/** @param {string} message */
export function toast(message) {
  const box = document.getElementById('toast');
  if (box === null) return;
  box.textContent = message;
  setTimeout(() => {
    if (box.textContent === message) box.textContent = '';
  }, 4000);
}

/**
 * Labels every body cell with its column's header (`data-label`), which the phone layout shows
 * in front of the value when a `table.cards` turns its rows into cards.
 * @param {HTMLTableElement} table
 */
export function labelCells(table) {
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
  for (const tr of table.tBodies[0]?.rows ?? []) {
    [...tr.cells].forEach((td, i) => {
      const label = heads[i];
      if (label !== undefined && td.colSpan === 1) td.dataset.label = label;
    });
  }
}
