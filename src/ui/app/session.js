// @ts-check
// The key lives in sessionStorage only: it is gone when the tab closes, never written to
// localStorage or a cookie, and sent nowhere but this gateway's API (the CSP's connect-src 'self').

const KEY = 'batchgate.key';
const WHO = 'batchgate.who';

/**
 * Who signed in, as the API answered at sign-in.
 * @typedef {{ admin: boolean, label: string, teamId: string | null, models: string[] }} Who
 */

/** @returns {string | null} */
export const currentKey = () => sessionStorage.getItem(KEY);

/** @returns {Who | null} */
export function currentWho() {
  const raw = sessionStorage.getItem(WHO);
  if (raw === null || currentKey() === null) return null;
  try {
    return /** @type {Who} */ (JSON.parse(raw));
  } catch {
    return null;
  }
}

/**
 * @param {string} key
 * @param {Who} who
 */
export function signIn(key, who) {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(WHO, JSON.stringify(who));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(WHO);
}
