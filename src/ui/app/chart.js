// @ts-check
// A hand-drawn SVG stacked bar chart (spend per day, one colour per team or key): a few dozen
// lines instead of a chart library, and nothing that needs inline script or style.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Okabe–Ito: told apart by people with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#8a6d00', '#000000'];

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 */
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * @param {string[]} days x axis, in order
 * @param {string[]} series stacked names, in legend order
 * @param {(day: string, name: string) => number} value
 * @param {string} summary what the chart shows, for screen readers
 */
export function stackedBars(days, series, value, summary) {
  const width = 720;
  const height = 260;
  const pad = { left: 56, right: 12, top: 12, bottom: 36 };
  const totals = days.map((d) => series.reduce((s, n) => s + value(d, n), 0));
  const max = Math.max(...totals, 0) || 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': summary });
  for (let i = 0; i <= 4; i += 1) {
    const y = pad.top + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: '#d0d7de' }));
    root.append(svg('text', { x: pad.left - 6, y: y + 4, 'text-anchor': 'end' }, `$${((max * i) / 4).toPrecision(2)}`));
  }
  days.forEach((day, i) => {
    const x = pad.left + slot * i + (slot - barW) / 2;
    let y = pad.top + plotH;
    series.forEach((name, s) => {
      const v = value(day, name);
      if (v <= 0) return;
      const barH = (plotH * v) / max;
      y -= barH;
      const rect = svg('rect', { x, y, width: barW, height: Math.max(barH, 1), fill: PALETTE[s % PALETTE.length] ?? '#000' });
      rect.append(svg('title', {}, `${day} · ${name}: $${v.toFixed(6)}`));
      root.append(rect);
    });
    // Label every day when they fit, else about eight of them.
    if (days.length <= 10 || i % Math.ceil(days.length / 8) === 0) {
      root.append(svg('text', { x: x + barW / 2, y: height - pad.bottom + 16, 'text-anchor': 'middle' }, day.slice(5)));
    }
  });
  const legend = h(
    'ul',
    { class: 'legend' },
    series.map((name, s) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.background = PALETTE[s % PALETTE.length] ?? '#000';
      return h('li', {}, swatch, name);
    }),
  );
  return h('figure', { class: 'stack' }, root, legend);
}
