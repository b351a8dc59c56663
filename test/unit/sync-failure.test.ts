import { describe, expect, it } from 'vitest';
import { isRetryable, type SyncFailure } from '../../src/agent/sync/failure.js';

describe('isRetryable', () => {
  const table: Array<[SyncFailure, boolean]> = [
    [{ kind: 'network', reason: 'connection', code: 'ECONNREFUSED', message: '' }, true],
    [{ kind: 'network', reason: 'timeout', code: null, message: '' }, true],
    [{ kind: 'network', reason: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: '' }, true],
    [{ kind: 'network', reason: 'aborted', code: 'ERR_CANCELED', message: '' }, false],
    [{ kind: 'rate-limited', status: 429, retryAfterMs: 7_000, message: '' }, true],
    [{ kind: 'server', status: 500, message: '' }, true],
    [{ kind: 'invalid-response', status: 200, message: '' }, true],
    [{ kind: 'unauthorized', reenroll: true, message: '' }, false],
    [{ kind: 'forbidden', message: '' }, false],
    [{ kind: 'bad-request', status: 400, code: 'invalid-body', message: '' }, false],
  ];
  it.each(table)('%j → %s', (failure, expected) => {
    expect(isRetryable(failure)).toBe(expected);
  });
});
