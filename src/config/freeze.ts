/** Deep freeze: the config is shared by every module and must not be changed by any of them. */
export function deepFreeze<T>(value: T): T {
  const seen = new WeakSet<object>();
  const visit = (item: unknown): void => {
    if (typeof item !== 'object' || item === null || seen.has(item)) return;
    seen.add(item);
    Object.freeze(item);
    for (const child of Object.values(item)) visit(child);
  };
  visit(value);
  return value;
}
