/**
 * Per-key limits: a token bucket for requests per minute, and a cap on runs in flight. Counts
 * live in this process, so with N gateway replicas a key may reach N times the limit; a shared
 * counter in the memory store would make the limit global.
 */
import { RateLimitedError } from '../../shared/errors';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly inFlight = new Map<string, Set<string>>();

  constructor(
    private readonly perMinute: number,
    private readonly maxInFlight: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request token for `keyId` or throws 429 with the seconds until the next one. */
  take(keyId: string): void {
    const rate = this.perMinute / 60_000;
    const now = this.now();
    const b = this.buckets.get(keyId) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(keyId, b);
    if (b.tokens < 1) {
      throw new RateLimitedError(`This key allows ${this.perMinute} requests a minute.`, Math.ceil((1 - b.tokens) / rate / 1_000));
    }
    b.tokens -= 1;
  }

  /**
   * Admits a new run for `keyId`, first asking `isFinished` about tracked runs when at the cap
   * (so finished runs free their slot even if nobody polled them).
   */
  async admitRun(keyId: string, runId: string, isFinished: (runId: string) => Promise<boolean>): Promise<void> {
    const runs = this.inFlight.get(keyId) ?? new Set<string>();
    this.inFlight.set(keyId, runs);
    if (runs.size >= this.maxInFlight) {
      const checks = await Promise.all([...runs].map(async (id) => [id, await isFinished(id)] as const));
      for (const [id, finished] of checks) if (finished) runs.delete(id);
    }
    if (runs.size >= this.maxInFlight) {
      throw new RateLimitedError(`This key allows ${this.maxInFlight} runs in flight; wait for one to finish.`, 1);
    }
    runs.add(runId);
  }

  /** Frees the slot of a run that was seen to finish (or failed to start). */
  release(keyId: string, runId: string): void {
    this.inFlight.get(keyId)?.delete(runId);
  }
}
