/**
 * A deployment whose params cannot work (a required bucket, role or credential missing or
 * malformed). Adapter factories throw it; the registry turns it into a start-up problem that
 * names the deployment, so a broken deployment stops the gateway instead of failing its first
 * request.
 */
export class ProviderConfigError extends Error {
  override readonly name = 'ProviderConfigError';
  /** Each problem says what is wrong and how to fix it; the registry adds which deployment. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.problems = Object.freeze([...problems]);
  }
}
