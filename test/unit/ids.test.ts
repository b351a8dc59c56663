import { describe, expect, it } from 'vitest';
import { EventId } from '../../src/shared/events.js';
import { uuidv7 } from '../../src/agent/ids.js';

describe('uuidv7', () => {
  it('is a valid event id with version 7 and the RFC variant', () => {
    const id = uuidv7();
    expect(EventId.safeParse(id).success).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('carries the time in its first 48 bits, so ids sort by time', () => {
    const t = Date.UTC(2026, 10, 26, 1, 2, 3, 456);
    expect(parseInt(uuidv7(t).replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    const ids = [1, 2, 3, 1000, 86_400_000].map((d) => uuidv7(t + d));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs between two calls in the same millisecond', () => {
    expect(uuidv7(5)).not.toBe(uuidv7(5));
  });
});
