/**
 * Errors the store raises. The route layer maps them by class (NotFound → 404, Conflict → 409,
 * InvalidInput → 400, Unavailable → 503) and never shows `cause`, which may hold driver details;
 * messages never contain SQL or stored values.
 */
export type StoreErrorCode = 'not_found' | 'conflict' | 'invalid_input' | 'unavailable' | 'schema_mismatch' | 'internal';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The thing a method acts on does not exist (a device, a request, a secret…). */
export class NotFoundError extends StoreError {
  constructor(readonly entity: string, options?: { cause?: unknown }) {
    super('not_found', `${entity} not found`, options);
  }
}

/** The change contradicts stored state: a duplicate name, an outdated version, a request already decided. */
export class ConflictError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

/** A unique key already exists (raised by the drivers; a kind of ConflictError). */
export class DuplicateKeyError extends ConflictError {
  constructor(options?: { cause?: unknown }) {
    super('already exists', options);
  }
}

/** A value the store refuses to keep (a malformed hash or time, an unknown role…). */
export class InvalidInputError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_input', message, options);
  }
}

/** The database cannot be reached or is busy; worth retrying later. */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
  }
}

/** The database was migrated by a newer collector, or its migration history differs from this one's. */
export class SchemaMismatchError extends StoreError {
  constructor(message: string) {
    super('schema_mismatch', message);
  }
}
