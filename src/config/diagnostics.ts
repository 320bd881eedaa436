/**
 * Collects what the loader finds while it walks the config: problems (start-up fails, all of them
 * reported together) and warnings (start-up continues, printed once at boot). Messages name the
 * path in the YAML and never contain a resolved value, because secrets come in through the same
 * channel as everything else.
 */
export class Diagnostics {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];

  problem(message: string): void {
    this.problems.push(message);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }
}

export type Mapping = Record<string, unknown>;

/** A YAML mapping (a plain object after parsing), as opposed to a list or a scalar. */
export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `parent.key`, or `parent["odd key"]` when the key would be ambiguous in a dotted path. */
export function keyPath(parent: string, key: string): string {
  if (PLAIN_KEY.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
