/**
 * Typo detection for config keys. Unknown keys are accepted (LiteLLM has hundreds), except one
 * that is a near-miss of a key batchgate reads: `litelm_params` would otherwise be ignored and the
 * deployment silently lose its settings.
 */
import { type Diagnostics, type Mapping } from './diagnostics.js';
import type { KeyLevel } from './keys.js';

const MAX_DISTANCE = 2;
/** Shorter keys are too close to everything to call anything a typo. */
const MIN_LENGTH = 4;

/**
 * Damerau–Levenshtein distance in its optimal-string-alignment form: insertions, deletions,
 * substitutions and transpositions of adjacent characters each cost one.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

function isKnown(key: string, level: KeyLevel): boolean {
  return (
    level.ours.includes(key) ||
    level.litellm.includes(key) ||
    (level.litellmPrefixes ?? []).some((prefix) => key.startsWith(prefix))
  );
}

/** The key of ours that `key` most likely misspells, if any. Comparison ignores case. */
export function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  if (key.length < MIN_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Reports every unknown key of `mapping` that looks like a misspelling of one of ours, and
 * returns the keys suggested, so the caller can skip a "missing" message for them. A key of ours
 * already present is never suggested: next to a real `model`, a `mode` is something else.
 */
export function checkKeys(mapping: Mapping, path: string, level: KeyLevel, diag: Diagnostics): Set<string> {
  const suggested = new Set<string>();
  const absentOurs = level.ours.filter((key) => !Object.hasOwn(mapping, key));
  for (const key of Object.keys(mapping)) {
    if (isKnown(key, level)) continue;
    const suggestion = suggestKey(key, absentOurs);
    if (suggestion === undefined) continue;
    suggested.add(suggestion);
    diag.problem(`${path === '' ? 'top level' : path}: unknown key '${key}' — did you mean '${suggestion}'?`);
  }
  return suggested;
}
