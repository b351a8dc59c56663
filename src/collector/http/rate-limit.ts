/**
 * Counts hits (failed authentications, enrolments) per key (client address) in a sliding window
 * and says when a key has reached its limit. Kept in process memory: each collector process limits on its own, which bounds what
 * one attacker gets per process without a shared store on the hot path.
 */
export class WindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly maxHits: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while `key` has reached the limit within the window. */
  isBlocked(key: string): boolean {
    return this.recent(key).length >= this.maxHits;
  }

  /** Records one hit of `key`. */
  hit(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.hits.set(key, list);
    if (this.hits.size > 100_000) this.sweep();
  }

  /** Seconds until `key` may try again (for Retry-After). */
  retryAfterSeconds(key: string): number {
    const oldest = this.recent(key)[0];
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.hits.delete(key);
    return list;
  }

  private sweep(): void {
    for (const key of [...this.hits.keys()]) this.recent(key);
  }
}
