/**
 * The one error the loader throws. It carries every problem found, not just the first, so an
 * operator fixes a config in one round instead of one restart per mistake.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], source?: string) {
    const where = source === undefined ? '' : ` in ${source}`;
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`invalid configuration${where} (${count}):`, ...problems.map((p) => `  - ${p}`)].join('\n'));
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}
