import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BackgroundCheckpointer, FALLBACK_AUTOCHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES, type WalRestart } from './checkpointer.js';
import { DuplicateKeyError, InvalidInputError, NotFoundError, SchemaMismatchError, StoreError, StoreUnavailableError } from '../errors.js';
import {
  Mutex,
  assertIdentifier,
  insertTail,
  placeholders,
  storableParams,
  type InsertOptions,
  type InsertSpec,
  type Row,
  type SqlDialect,
  type SqlDriver,
  type SqlExecutor,
  type SqlValue,
  type TransactionOptions,
} from '../sql/driver.js';

const DIALECT: SqlDialect = { name: 'sqlite', forUpdate: '' };

// How long a statement waits for another process's write lock (`mamori-collector migrate` while
// `serve` runs) before failing with SQLITE_BUSY.
const BUSY_TIMEOUT_MS = 5_000;
const STATEMENT_CACHE_LIMIT = 512;

// Waiting for the write lock at BEGIN IMMEDIATE. SQLite's own busy handler sleeps 1, 2, 5, 10 …
// ms between tries, but an agent's check-in holds the lock for about 0.2 ms: with `serve
// --workers 2`, a worker that found the lock taken slept five times longer than the lock was
// held, and two workers wrote fewer check-ins per second than one. So BEGIN IMMEDIATE is tried
// with no busy handler and retried by the driver: between tries the process's event loop turns
// (other agents' requests are read, parsed and checked meanwhile), and every few turns it sleeps
// 50 µs, so that waiting does not spin a core the lock's holder may need. A long hold (a
// migration, a big import) is waited for in 1 ms sleeps after the first 20 ms.
const LOCK_YIELDS_PER_PAUSE = 4;
const LOCK_PAUSE_MS = 0.05;
const LOCK_LONG_WAIT_MS = 20;
const LOCK_LONG_PAUSE_MS = 1;
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` (fractions allowed), as SQLite's busy handler would. */
function pause(ms: number): void {
  Atomics.wait(pauseCell, 0, 0, ms);
}

// better-sqlite3 is synchronous, but the store is written with awaits between statements: two
// store operations could interleave on one connection, and two connections to one file in one
// process would wait on each other's locks while blocking the only thread. So every operation on
// a file holds this per-file queue, shared by every store that opens the file in this process.
const fileQueues = new Map<string, { mutex: Mutex; users: number }>();

function queueFor(key: string): Mutex {
  const entry = fileQueues.get(key) ?? { mutex: new Mutex(), users: 0 };
  entry.users += 1;
  fileQueues.set(key, entry);
  return entry.mutex;
}

function releaseQueue(key: string): void {
  const entry = fileQueues.get(key);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users <= 0) fileQueues.delete(key);
}

/**
 * Creates a folder and its missing parents, failing with the first error. NOTE: Node 20's
 * mkdirSync(…, { recursive: true }) spins forever when a parent exists but cannot hold children
 * (a path under /proc, a dangling symlink), the back-and-forth walk also seen in
 * https://github.com/oven-sh/bun/pull/36162; a bad --data folder must fail, not hang.
 */
function ensureFolder(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) ensureFolder(parent);
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

interface SqliteError extends Error {
  code?: string;
}

/** A StoreError for an error thrown by better-sqlite3 (store errors pass through unchanged). */
export function translateSqliteError(err: unknown): Error {
  if (err instanceof StoreError) return err;
  const code = (err as SqliteError | undefined)?.code ?? '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new DuplicateKeyError({ cause: err });
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new NotFoundError('referenced record', { cause: err });
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG') {
    return new InvalidInputError('value refused by the database', { cause: err });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new StoreUnavailableError('the SQLite database is busy or cannot be written', { cause: err });
  }
  if (code === 'SQLITE_ERROR' && /^no such table/.test((err as Error).message)) {
    return new SchemaMismatchError('the database schema is missing; run `mamori-collector migrate`');
  }
  if (err instanceof TypeError) return err;
  return new StoreError('internal', 'database error', { cause: err });
}

/** Runs statements directly on the connection: only while the file's queue is held. */
class DirectExecutor implements SqlExecutor {
  readonly dialect = DIALECT;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  allSync<R>(sql: string, params?: readonly SqlValue[]): R[] {
    return this.prepare(sql).all(...storableParams(params)) as R[];
  }

  async all<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.allSync<R>(sql, params);
  }

  async one<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> {
    return this.allSync<R>(sql, params)[0];
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    const statement = this.prepare(sql);
    if (statement.reader) return statement.all(...storableParams(params)).length;
    return statement.run(...storableParams(params)).changes;
  }

  async exec(script: string): Promise<void> {
    this.db.exec(script);
  }

  async insert<R = Row>(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    options?: InsertOptions,
  ): Promise<R[]> {
    if (rows.length === 0) return [];
    const sql = `INSERT INTO ${assertIdentifier(table)} (${columns.map(assertIdentifier).join(', ')}) VALUES ${placeholders(columns.length)}${insertTail(options)}`;
    const statement = this.prepare(sql);
    const returned: R[] = [];
    for (const row of rows) {
      if (statement.reader) returned.push(...(statement.all(...storableParams(row)) as R[]));
      else statement.run(...storableParams(row));
    }
    return returned;
  }

  async insertAll(inserts: readonly InsertSpec[]): Promise<void> {
    // In process: a statement costs no round trip, so one after the other.
    for (const { table, columns, rows, options } of inserts) await this.insert(table, columns, rows, options);
  }

  async lock(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's only write lock.
  }
}

export interface SqliteDriverOptions {
  /**
   * Who checkpoints the WAL (a file database only): 'inline' — SQLite itself, inside the commit
   * that crosses a thousand pages (the default: tests, CLI commands); 'thread' — a worker thread
   * of this process; 'elsewhere' — another process (the cluster's primary). Both of the latter
   * keep a large inline checkpoint as a safety net.
   */
  checkpoints?: 'inline' | 'thread' | 'elsewhere';
  /** How long to wait for another process's write lock before failing (default 5 s). */
  busyTimeoutMs?: number;
  onCheckpointError?: (message: string) => void;
  /** Told of each try of the checkpoint thread to make a large WAL start again (see checkpointer.ts). */
  onWalRestart?: (restart: WalRestart) => void;
}

/** The SQLite back end's driver: one connection, WAL, foreign keys on. */
export class SqliteDriver implements SqlDriver {
  readonly dialect = DIALECT;
  private readonly direct: DirectExecutor;
  private readonly control: Record<'begin' | 'commit' | 'rollback' | 'noWait' | 'wait', Database.Statement>;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly queue: Mutex,
    private readonly queueKey: string,
    private readonly checkpointer: BackgroundCheckpointer | null,
    private readonly busyTimeoutMs: number,
  ) {
    this.direct = new DirectExecutor(db);
    // Compiled once: a check-in's transaction runs these five, and compiling them each time
    // (db.exec, db.pragma) cost as much as some of its statements.
    this.control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      noWait: db.prepare('PRAGMA busy_timeout = 0'),
      wait: db.prepare(`PRAGMA busy_timeout = ${busyTimeoutMs}`),
    };
  }

  /**
   * Opens (creating when absent) the database file, and its folder; ':memory:' for a private
   * in-memory database. See SqliteDriverOptions for who checkpoints the WAL.
   */
  static open(file: string, options: SqliteDriverOptions = {}): SqliteDriver {
    const memory = file === ':memory:';
    const key = memory ? `:memory:${Math.random()}` : resolve(file);
    const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new TypeError('busyTimeoutMs must be a whole number of milliseconds');
    let db: Database.Database;
    try {
      if (!memory) ensureFolder(dirname(key));
      db = new Database(memory ? ':memory:' : key);
      // WAL lets the console read while an agent upload writes; NORMAL sync is durable across
      // process crashes in WAL mode (only an OS crash may lose the last commits).
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      // When the WAL starts again from its beginning, the file is cut back to this size: a burst
      // that grew it does not keep its disk space for good.
      if (!memory) db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    } catch (err) {
      throw new StoreUnavailableError('cannot open the SQLite database', { cause: err });
    }
    let checkpointer: BackgroundCheckpointer | null = null;
    const checkpoints = memory ? 'inline' : (options.checkpoints ?? 'inline');
    if (checkpoints !== 'inline') db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    if (checkpoints === 'thread') {
      checkpointer = new BackgroundCheckpointer(key, {
        ...(options.onCheckpointError ? { onError: options.onCheckpointError } : {}),
        ...(options.onWalRestart ? { onRestart: options.onWalRestart } : {}),
      });
    }
    return new SqliteDriver(db, queueFor(key), key, checkpointer, busyTimeoutMs);
  }

  private queued<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed) throw new StoreUnavailableError('the store is closed');
      try {
        return await work();
      } catch (err) {
        throw translateSqliteError(err);
      }
    });
  }

  all<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.queued(() => this.direct.all<R>(sql, params));
  }

  one<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> {
    return this.queued(() => this.direct.one<R>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.queued(() => this.direct.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.queued(() => this.direct.exec(script));
  }

  insert<R = Row>(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], options?: InsertOptions): Promise<R[]> {
    return this.queued(() => this.direct.insert<R>(table, columns, rows, options));
  }

  insertAll(inserts: readonly InsertSpec[]): Promise<void> {
    return this.queued(() => this.direct.insertAll(inserts));
  }

  async lock(): Promise<void> {}

  // `resendable` changes nothing here: in WAL mode with synchronous NORMAL no commit waits for
  // the disk anyway (only checkpoints do).
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.queued(async () => {
      // IMMEDIATE takes the write lock now, so that a read-then-write transaction cannot be
      // overtaken by another process between its read and its write.
      await this.beginImmediate();
      try {
        const result = await body(this.direct);
        this.control.commit.run();
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.control.rollback.run();
        throw err;
      }
    });
  }

  /**
   * BEGIN IMMEDIATE, waiting up to the busy timeout for another process's write lock (see
   * LOCK_YIELDS_PER_PAUSE). The file's queue is held meanwhile: no other statement of this
   * process runs on the connection while its busy timeout is 0.
   */
  private async beginImmediate(): Promise<void> {
    this.control.noWait.get();
    try {
      const started = performance.now();
      const deadline = started + this.busyTimeoutMs;
      for (let attempt = 1; ; attempt += 1) {
        try {
          this.control.begin.run();
          return;
        } catch (err) {
          if ((err as SqliteError).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw err;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (performance.now() - started > LOCK_LONG_WAIT_MS) pause(LOCK_LONG_PAUSE_MS);
        else if (attempt % LOCK_YIELDS_PER_PAUSE === 0) pause(LOCK_PAUSE_MS);
      }
    } finally {
      this.control.wait.get();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.checkpointer?.stop();
    await this.queue.run(async () => {
      this.closed = true;
      this.db.close();
    });
    releaseQueue(this.queueKey);
  }
}
