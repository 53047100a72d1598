/**
 * Remembers, per event key, the reply event a handler produced, so a duplicate delivery re-sends
 * that reply instead of running the step or model call again.
 * Limit: the memory is per process, so two replicas that each receive a copy of the same
 * event would both run it; a shared claim in the memory service (keyed by run and step) would
 * lift that, at the cost of one more round trip per step.
 */
export class OnceCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly capacity = 10_000) {}

  /** Runs `work` the first time `key` is seen; later calls get the same promise. */
  run(key: string, work: () => Promise<T>): { result: Promise<T>; isDuplicate: boolean } {
    const existing = this.entries.get(key);
    if (existing) return { result: existing, isDuplicate: true };
    const result = work();
    this.entries.set(key, result);
    // A failed attempt is forgotten so the broker's retry runs it again.
    result.catch(() => this.entries.delete(key));
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return { result, isDuplicate: false };
  }
}
