// @ts-check
// The progress bar of a batch from `request_counts`: a real progressbar role with its numbers, so
// assistive technology (and the browser tests) read the same values the bar draws.
import { h } from './dom.js';

/** @param {string} label */
export function progressBar(label) {
  const done = h('span', { class: 'done' });
  const failed = h('span', { class: 'failed' });
  const text = h('span', { class: 'label' });
  const bar = h('span', { class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0 }, done, failed);
  const el = h('span', { class: 'progress' }, bar, text);
  /** @param {import('./types.js').RequestCounts} counts */
  const update = (counts) => {
    const total = Math.max(counts.total, 0);
    const finished = counts.completed + counts.failed;
    // Widths through the CSSOM: allowed by the CSP, unlike inline style attributes.
    done.style.width = total === 0 ? '0%' : `${(100 * counts.completed) / total}%`;
    failed.style.width = total === 0 ? '0%' : `${(100 * counts.failed) / total}%`;
    bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(finished));
    const summary = total === 0 ? 'not counted yet' : `${finished.toLocaleString()} / ${total.toLocaleString()}${counts.failed > 0 ? ` (${counts.failed.toLocaleString()} failed)` : ''}`;
    bar.setAttribute('aria-valuetext', summary);
    text.textContent = summary;
  };
  return { el, update };
}
