/** Raised when an operation did not finish in time. */
export class TimeoutError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Resolves or rejects as `promise` does, or rejects with a TimeoutError after `ms`. The timer is
 * cleared either way so it never keeps the process alive. The underlying work is not cancelled:
 * callers pass work that ends by itself (commands have their own kill timeouts).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
