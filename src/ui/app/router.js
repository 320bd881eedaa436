// @ts-check
// Hash routes (`#/batches/batch_…`): the server serves one page at /ui/ and needs no knowledge of
// console paths. A page renders into <main> and returns what stops its polling when it is left.

/**
 * @typedef {(main: HTMLElement, params: string[]) => (void | (() => void) | Promise<void | (() => void)>)} Page
 * @typedef {{ pattern: RegExp, page: Page, section: string }} Route
 */

/** @type {Route[]} */
const routes = [];
/** @type {(() => void) | null} */
let leave = null;
/** @type {(hash: string) => string | null} */
let guard = () => null;

/**
 * @param {RegExp} pattern matched against the hash without `#`
 * @param {string} section the nav entry marked current
 * @param {Page} page
 */
export const route = (pattern, section, page) => {
  routes.push({ pattern, page, section });
};

/** @param {(hash: string) => string | null} check returns a hash to go to instead, or null */
export const beforeEach = (check) => {
  guard = check;
};

/** @param {string} hash e.g. `#/batches` */
export function go(hash) {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

/** Renders the page for the current hash. */
export async function render() {
  const hash = location.hash === '' ? '#/batches' : location.hash;
  // Only `#/…` is a route: other fragments are in-page anchors.
  if (!hash.startsWith('#/')) return;
  const redirect = guard(hash);
  if (redirect !== null && redirect !== hash) {
    go(redirect);
    return;
  }
  const path = hash.slice(1);
  const found = routes.find((r) => r.pattern.test(path)) ?? routes[0];
  const main = document.getElementById('main');
  if (found === undefined || main === null) return;
  leave?.();
  leave = null;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a instanceof HTMLElement && a.dataset.section === found.section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  const params = (found.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p ?? ''));
  const stop = await found.page(main, params);
  leave = typeof stop === 'function' ? stop : null;
  // Move focus to the new page's heading, as a full page load would, for screen reader users.
  const heading = main.querySelector('h1');
  if (heading instanceof HTMLElement && !main.contains(document.activeElement)) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

export const start = () => {
  window.addEventListener('hashchange', () => void render());
  void render();
};
