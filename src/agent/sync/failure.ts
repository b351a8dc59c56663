/**
 * What can go wrong talking to the collector, as a small closed union the sync loop can switch on.
 * None of these is thrown: the client returns them (see SyncResult), so no HTTP error can escape
 * into the agent.
 */
export type SyncFailure =
  /** 401. `reenroll`: the collector no longer knows this agent's key — enrol again. */
  | { kind: 'unauthorized'; reenroll: boolean; message: string }
  /** 403: the agent touched data that is not its own device's. */
  | { kind: 'forbidden'; message: string }
  /** 429 or 503; `retryAfterMs` from Retry-After when the server sent a valid one. */
  | { kind: 'rate-limited'; status: number; retryAfterMs: number | null; message: string }
  /** Any other 5xx. */
  | { kind: 'server'; status: number; message: string }
  /** No HTTP answer: refused, unreachable, reset, timed out, TLS refused, or the client was closed. */
  | { kind: 'network'; reason: NetworkFailureReason; code: string | null; message: string }
  /** An answer that is not what the protocol promises (bad status, bad JSON, schema mismatch, too big). */
  | { kind: 'invalid-response'; status: number | null; message: string }
  /** Other 4xx, with the server's error code and message; status null when refused before sending. */
  | { kind: 'bad-request'; status: number | null; code: string | null; message: string };

export type NetworkFailureReason = 'timeout' | 'tls' | 'connection' | 'aborted';

export type SyncFailureKind = SyncFailure['kind'];

/** The outcome of one call: the validated answer, or why there is none. */
export type SyncResult<T> = { ok: true; value: T } | { ok: false; failure: SyncFailure };

/** Whether trying the same request again later can help (everything but a refusal of the request itself). */
export function isRetryable(failure: SyncFailure): boolean {
  switch (failure.kind) {
    case 'network':
      return failure.reason !== 'aborted';
    case 'rate-limited':
    case 'server':
    case 'invalid-response':
      return true;
    case 'unauthorized':
    case 'forbidden':
    case 'bad-request':
      return false;
  }
}
