/**
 * The pending records this process is still working on. The reconciler passes over them whatever
 * their age: a 200 MB fan-out may outlast a short grace period, and its own process knows it is
 * alive. Records of other replicas are protected by the grace period alone, which by default
 * outlasts any request's deadline.
 */
export class InFlightRecords {
  private readonly ids = new Set<string>();

  /** Runs `work` with `id` marked in flight. */
  async around<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.ids.add(id);
    try {
      return await work();
    } finally {
      this.ids.delete(id);
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}
