// @ts-check
// Live updates by polling: one request cycle at a time (a slow answer never stacks calls), none
// while the tab is hidden, and stopped when the page it belongs to is left.

/**
 * Runs `tick` now and every `ms` until the returned stop function is called or `tick` returns
 * false (nothing left to watch, e.g. every batch shown is finished).
 * @param {number} ms
 * @param {() => Promise<boolean | void>} tick
 * @returns {() => void} stop
 */
export function every(ms, tick) {
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const run = async () => {
    if (stopped) return;
    let again = true;
    if (!document.hidden) {
      try {
        again = (await tick()) !== false;
      } catch (err) {
        console.warn('batchgate console: refresh failed', err);
      }
    }
    if (!stopped && again) timer = setTimeout(run, ms);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
