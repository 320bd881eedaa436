// @ts-check
// The console's entry point: routes, the nav bar, sign-in state.
import { whenUnauthorized } from './api.js';
import { beforeEach, go, route, start } from './router.js';
import { currentWho, signOut } from './session.js';
import { batchesPage } from './pages/batches.js';
import { batchPage } from './pages/batch.js';
import { deploymentsPage } from './pages/deployments.js';
import { filePage } from './pages/file.js';
import { filesPage } from './pages/files.js';
import { keysPage } from './pages/keys.js';
import { signInPage } from './pages/signin.js';
import { spendPage } from './pages/spend.js';

route(/^\/batches$/, 'batches', batchesPage);
route(/^\/batches\/([^/]+)$/, 'batches', batchPage);
route(/^\/files$/, 'files', filesPage);
route(/^\/files\/([^/]+)$/, 'files', filePage);
route(/^\/spend$/, 'spend', spendPage);
route(/^\/keys$/, 'keys', keysPage);
route(/^\/deployments$/, 'deployments', deploymentsPage);
route(/^\/signin$/, 'signin', signInPage);

/** Shows the nav and the signed-in label, or hides them on the sign-in page. */
export function refreshChrome() {
  const who = currentWho();
  const nav = document.getElementById('nav');
  const whoBox = document.getElementById('who');
  const label = document.getElementById('who-label');
  if (nav === null || whoBox === null || label === null) return;
  nav.hidden = who === null;
  whoBox.hidden = who === null;
  label.textContent = who === null ? '' : who.label;
  for (const el of nav.querySelectorAll('[data-admin-only]')) {
    const item = el.closest('li');
    if (item instanceof HTMLElement) item.hidden = who?.admin !== true;
  }
}

beforeEach((hash) => {
  refreshChrome();
  const signedIn = currentWho() !== null;
  if (!signedIn && hash !== '#/signin') return '#/signin';
  if (signedIn && hash === '#/signin') return '#/batches';
  return null;
});

whenUnauthorized(() => {
  signOut();
  go('#/signin');
});

document.getElementById('sign-out')?.addEventListener('click', () => {
  signOut();
  go('#/signin');
});

// The skip link moves focus without changing the hash (which names the page).
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main')?.focus();
});

start();
