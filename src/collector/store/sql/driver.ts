/**
 * The small SQL surface the store is written against, so that one implementation of the store's
 * rules runs on SQLite and on PostgreSQL. SQL text uses `?` placeholders on both back ends;
 * values are always bound, never written into the text. Table and column names passed to
 * `insert` are constants of the store, checked against a strict pattern.
 */
export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Appended to a SELECT whose rows the transaction must hold until it ends. Empty on SQLite,
   * where a write transaction (BEGIN IMMEDIATE) already holds the whole database.
   */
  readonly forUpdate: string;
}

/** What a transaction serialises on, across every collector process of the database. */
export type LockPurpose = 'migrate' | 'enroll';

export interface InsertOptions {
  /** ON CONFLICT (columns) DO NOTHING, or DO UPDATE SET each of `update` to the new value. */
  conflict?: { columns: readonly string[]; update?: readonly string[] };
  /** Columns of the inserted rows to return (rows skipped by a conflict are not returned). */
  returning?: readonly string[];
}

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Every row of a query. */
  all<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** The first row of a query, or undefined. */
  one<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs a script of statements without parameters (migrations only). */
  exec(script: string): Promise<void>;
  /** Inserts many rows (in as few statements as the back end allows). */
  insert<R = Row>(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    options?: InsertOptions,
  ): Promise<R[]>;
  /**
   * Several inserts, in order, returning nothing: on PostgreSQL one statement (writable CTEs), so
   * one round trip instead of one per table. Inside a transaction only (one fails, none stays).
   */
  insertAll(inserts: readonly InsertSpec[]): Promise<void>;
  /** Holds a lock for `purpose` until the transaction ends (a no-op outside one, and on SQLite). */
  lock(purpose: LockPurpose): Promise<void>;
}

/** One insert of insertAll (RETURNING is not available there). */
export interface InsertSpec {
  table: string;
  columns: readonly string[];
  rows: readonly (readonly SqlValue[])[];
  options?: Omit<InsertOptions, 'returning'>;
}

export interface TransactionOptions {
  /**
   * The transaction writes only what its sender sends again when it is lost (an inventory: the
   * agent's next check-in carries every hash, and the collector asks again for what it lacks), so
   * the back end may answer before the commit is on disk: PostgreSQL then skips the WAL flush
   * wait (synchronous_commit off; a crash loses at most the last moments, never consistency).
   * Never for events or decisions, which the sender forgets once acknowledged.
   */
  resendable?: boolean;
}

export interface SqlDriver extends SqlExecutor {
  /**
   * Runs `body` in one transaction: committed when it resolves, rolled back when it throws. The
   * body must use the executor it is given, and may run more than once when the database asks
   * for a retry (deadlock, serialization failure), so it must not have effects outside the database.
   */
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Waits for running work, then closes every connection. */
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Throws unless `name` is a plain lower-case SQL identifier (defence in depth for `insert`). */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/** `(?, ?, ?)` for n values. */
export function placeholders(n: number): string {
  return `(${Array.from({ length: n }, () => '?').join(', ')})`;
}

/** The ON CONFLICT … RETURNING tail of an INSERT, identical on both back ends. */
export function insertTail(options: InsertOptions | undefined): string {
  let tail = '';
  const conflict = options?.conflict;
  if (conflict) {
    tail += ` ON CONFLICT (${conflict.columns.map(assertIdentifier).join(', ')})`;
    tail +=
      conflict.update && conflict.update.length > 0
        ? ` DO UPDATE SET ${conflict.update.map((c) => `${assertIdentifier(c)} = excluded.${c}`).join(', ')}`
        : ' DO NOTHING';
  }
  if (options?.returning && options.returning.length > 0) tail += ` RETURNING ${options.returning.map(assertIdentifier).join(', ')}`;
  return tail;
}

// U+0000 and unpaired surrogates cannot be stored in PostgreSQL text or jsonb; SQLite would keep
// them. Both back ends replace them with U+FFFD so that they return the same text.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The string with U+0000 and unpaired surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE, '\uFFFD') : text;
}

/** Bound values made storable (see storableText). */
export function storableParams(params: readonly SqlValue[] | undefined): SqlValue[] {
  if (!params) return [];
  return params.map((v) => (typeof v === 'string' ? storableText(v) : v));
}

/** A copy of a JSON-like value with every string, keys included, made storable (see storableText). */
export function storableValue<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => storableValue(v)) as T;
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) copy[storableText(key)] = storableValue(inner);
    return copy as T;
  }
  return value;
}

/** JSON text of a value with every string made storable. */
export function storableJson(value: unknown): string {
  return JSON.stringify(storableValue(value));
}

/** A promise queue: one holder at a time, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `work` when every earlier holder is done. */
  async run<T>(work: () => Promise<T> | T): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
