import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from '../../src/agent/sync/backoff.js';

const fixed = (r: number) => () => r;
const almostOne = 0.999999;

describe('backoffDelay', () => {
  // failures, random draw, Retry-After, expected delay (ms) with the default 5 s base, 10 min cap
  const table: Array<[string, number, number, number | null, number]> = [
    ['first failure, highest draw: up to the 5 s base', 1, almostOne, null, 4_999],
    ['first failure, middle draw', 1, 0.5, null, 2_500],
    ['second failure doubles the ceiling', 2, 0.5, null, 5_000],
    ['third failure', 3, 0.5, null, 10_000],
    ['eighth failure: 5 s·2^7 = 640 s is over the cap, so 600 s bounds it', 8, almostOne, null, 599_999],
    ['hundredth failure stays capped at 10 minutes', 100, almostOne, null, 599_999],
    ['a huge failure count does not overflow', 1e9, 0.5, null, 300_000],
    ['a draw of 0 still waits the 1 s floor', 5, 0, null, 1_000],
    ['a broken random source above 1 is clamped to the ceiling', 1, 7, null, 5_000],
    ['a negative draw is clamped to the floor', 1, -3, null, 1_000],
    ['failures of 0 is treated as the first', 0, 0.5, null, 2_500],
    ['Retry-After longer than the jittered delay wins', 1, 0.5, 7_000, 7_000],
    ['Retry-After shorter than the jittered delay: never sooner, so the jittered delay', 4, 0.5, 3_000, 20_000],
    ['Retry-After above the cap of 10 min is still honoured', 9, 0.1, 30 * 60_000, 30 * 60_000],
    ['Retry-After of a day is capped at 1 h', 1, 0.5, 24 * 3_600_000, 3_600_000],
    ['Retry-After of 0 means no extra wait', 1, 0.5, 0, 2_500],
    ['a fractional Retry-After is rounded up, never down', 1, 0, 1_500.2, 1_501],
    ['a NaN Retry-After is ignored', 1, 0.5, Number.NaN, 2_500],
    ['an infinite Retry-After is ignored rather than waiting forever', 1, 0.5, Number.POSITIVE_INFINITY, 2_500],
  ];
  it.each(table)('%s', (_name, failures, draw, retryAfter, expected) => {
    expect(backoffDelay(failures, retryAfter, fixed(draw))).toBe(expected);
  });

  it('never exceeds the cap over many random draws without Retry-After', () => {
    let seed = 42;
    const lcg = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let failures = 1; failures < 60; failures++) {
      const d = backoffDelay(failures, null, lcg);
      expect(d).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.floorMs);
      expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.capMs);
    }
  });

  it('spreads a fleet: different draws give different delays for the same failure', () => {
    const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffDelay(6, null, fixed(r))));
    expect(delays.size).toBe(5);
  });

  it('uses the options it is given', () => {
    const options = { baseMs: 100, capMs: 1_000, floorMs: 10, retryAfterCapMs: 2_000 };
    expect(backoffDelay(1, null, fixed(almostOne), options)).toBe(99);
    expect(backoffDelay(20, null, fixed(almostOne), options)).toBe(999);
    expect(backoffDelay(1, 60_000, fixed(0.5), options)).toBe(2_000);
  });
});

describe('Backoff', () => {
  it('grows with consecutive failures and starts over after a success', () => {
    const backoff = new Backoff(fixed(almostOne));
    const grown = [backoff.failed(), backoff.failed(), backoff.failed()];
    expect(grown).toEqual([4_999, 9_999, 19_999]);
    expect(backoff.consecutiveFailures).toBe(3);
    backoff.succeeded();
    expect(backoff.consecutiveFailures).toBe(0);
    expect(backoff.failed()).toBe(4_999);
  });

  it('passes Retry-After through to the delay', () => {
    const backoff = new Backoff(fixed(0));
    expect(backoff.failed(7_000)).toBe(7_000);
    expect(backoff.failed(null)).toBe(1_000);
  });
});
