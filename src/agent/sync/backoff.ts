/**
 * When to try the collector again after a failure: exponential backoff with full jitter (each
 * delay drawn uniformly from [floor, min(cap, base·2^n)]) so that a fleet that lost the collector
 * at the same moment does not come back at the same moment. A Retry-After from the server is a
 * lower bound: we never come back sooner than asked, but not later than `retryAfterCapMs` either,
 * so a misconfigured server cannot silence an agent for days.
 */

export interface BackoffOptions {
  /** The ceiling of the first delay. */
  baseMs: number;
  /** The ceiling of any delay the agent chooses by itself (the issue asks for 10 minutes). */
  capMs: number;
  /** No delay is shorter than this, so that a random draw near 0 does not hammer the server. */
  floorMs: number;
  /** The longest a Retry-After is honoured for. */
  retryAfterCapMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 5_000,
  capMs: 10 * 60_000,
  floorMs: 1_000,
  retryAfterCapMs: 60 * 60_000,
};

/** A source of uniform numbers in [0, 1), like Math.random; injected by tests. */
export type RandomSource = () => number;

/**
 * The delay before retry number `failures` (1 after the first failure), in whole milliseconds.
 * `retryAfterMs` is what the server asked for, if anything. Pure: same inputs, same output.
 */
export function backoffDelay(
  failures: number,
  retryAfterMs: number | null,
  random: RandomSource,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const n = Math.max(0, Math.floor(failures) - 1);
  // 2^n overflows to Infinity for large n; the clamp keeps the arithmetic finite.
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(n, 40));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.max(options.floorMs, Math.floor(r * ceiling));
  if (retryAfterMs === null || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return jittered;
  return Math.max(jittered, Math.min(Math.ceil(retryAfterMs), options.retryAfterCapMs));
}

/** Counts consecutive failures and turns them into delays; `succeeded()` starts over. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly random: RandomSource = Math.random,
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  /** Records a failure and returns how long to wait before the next attempt. */
  failed(retryAfterMs: number | null = null): number {
    this.failures += 1;
    return backoffDelay(this.failures, retryAfterMs, this.random, this.options);
  }

  /** Records a success: the next failure waits at most `baseMs` again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** Consecutive failures since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }
}
