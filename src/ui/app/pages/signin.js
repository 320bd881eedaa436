// @ts-check
// Sign-in with the master key or a virtual key. The key is checked against the API itself:
// `/key/info` answers a virtual key with its own settings, and asks the master key which key it
// means (400), which `/key/list` then confirms is the master key.
import { ApiError, json } from '../api.js';
import { errorBox, field, h, replace } from '../dom.js';
import { go } from '../router.js';
import { signIn } from '../session.js';

/**
 * @param {string} key
 * @returns {Promise<import('../session.js').Who>}
 */
async function whoIs(key) {
  try {
    const info = await json('/key/info', { key });
    const view = /** @type {{ info: import('../types.js').KeyView }} */ (info).info;
    const name = view.key_alias ?? view.key_name;
    return { admin: false, label: view.team_id === null ? `Key ${name}` : `Key ${name} · team ${view.team_id}`, teamId: view.team_id, models: view.models };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 400) throw err;
  }
  await json('/key/list?size=1', { key });
  return { admin: true, label: 'Master key', teamId: null, models: [] };
}

/** @param {HTMLElement} main */
export function signInPage(main) {
  const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'sk-…' });
  const message = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'button' }, 'Sign in');
  const form = h(
    'form',
    { class: 'panel narrow stack' },
    field('API key (master key or virtual key)', input, 'Kept in this browser tab only, and sent only to this gateway.'),
    button,
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return;
    button.disabled = true;
    replace(message);
    try {
      signIn(key, await whoIs(key));
      go('#/batches');
    } catch (err) {
      const text = err instanceof ApiError && err.status === 401 ? 'This key is not valid for this gateway.' : err instanceof Error ? err.message : String(err);
      replace(message, errorBox(text));
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  replace(main, h('h1', {}, 'Sign in to batchgate'), form);
  input.focus();
}
