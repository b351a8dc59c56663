import { createHash } from 'node:crypto';
import pg from 'pg';
import { DuplicateKeyError, InvalidInputError, NotFoundError, SchemaMismatchError, StoreError, StoreUnavailableError } from '../errors.js';
import {
  assertIdentifier,
  insertTail,
  placeholders,
  storableParams,
  storableText,
  type InsertOptions,
  type InsertSpec,
  type LockPurpose,
  type Row,
  type SqlDialect,
  type SqlDriver,
  type SqlExecutor,
  type SqlValue,
  type TransactionOptions,
} from '../sql/driver.js';

const DIALECT: SqlDialect = { name: 'postgres', forUpdate: ' FOR UPDATE' };

const OID = { int8: 20, json: 114, timestamptz: 1184, jsonb: 3802 } as const;

// Rows come back in the same shapes as from SQLite: times as ISO strings, counts as numbers,
// JSON as text (the store parses it once, the same way for both back ends).
const parseTimestamptz = pg.types.getTypeParser(OID.timestamptz, 'text');
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format === 'binary') return pg.types.getTypeParser(oid, format);
    switch (oid) {
      case OID.timestamptz:
        return (value: string) => (parseTimestamptz(value) as Date).toISOString();
      case OID.int8:
        return (value: string) => Number(value);
      case OID.json:
      case OID.jsonb:
        return (value: string) => value;
      default:
        return pg.types.getTypeParser(oid, 'text');
    }
  },
} as pg.CustomTypesConfig;

// Advisory lock keys: (class, hash of the schema), so that migrations of different schemas in one
// database (tests, several installations) do not wait on each other.
const LOCK_CLASS: Record<LockPurpose, number> = { migrate: 0x4d4d0001, enroll: 0x4d4d0002 };

// Rows per INSERT statement stay under PostgreSQL's 65535 bound parameters.
const MAX_PARAMS = 60_000;
const SQL_CACHE_LIMIT = 1024;
const MAX_ATTEMPTS = 4;

const positionalCache = new Map<string, string>();

/** The SQL with `?` placeholders numbered $1, $2… (the store's SQL has no `?` in literals). */
export function toPositional(sql: string): string {
  let text = positionalCache.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    if (positionalCache.size >= SQL_CACHE_LIMIT) positionalCache.clear();
    positionalCache.set(sql, text);
  }
  return text;
}

/** Statements with more parameters than this are not prepared (their shapes vary with the data). */
const NAMED_MAX_PARAMS = 64;
const statementNames = new Map<string, string>();

/** A stable name for a statement's text (a hash, so that two texts never share a name). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `m_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size >= SQL_CACHE_LIMIT) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

const RETRYABLE = new Set(['40001', '40P01']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '53300', '53400']);

/** A StoreError for an error thrown by pg (store errors pass through unchanged). */
export function translatePgError(err: unknown): Error {
  if (err instanceof StoreError) return err;
  const code = codeOf(err);
  if (code === '23505') return new DuplicateKeyError({ cause: err });
  if (code === '23503') return new NotFoundError('referenced record', { cause: err });
  if (code === '23514' || code === '23502' || code.startsWith('22')) return new InvalidInputError('value refused by the database', { cause: err });
  if (code === '42P01') return new SchemaMismatchError('the database schema is missing; run `mamori-collector migrate`');
  if (RETRYABLE.has(code)) return new StoreUnavailableError('the database is busy; try again', { cause: err });
  // pg reports a dropped or timed-out connection as a plain Error without a SQLSTATE.
  const lostConnection = code === '' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test((err as Error | null)?.message ?? '');
  if (UNREACHABLE.has(code) || code.startsWith('08') || lostConnection) {
    return new StoreUnavailableError('PostgreSQL is not reachable', { cause: err });
  }
  if (err instanceof TypeError) return err;
  return new StoreError('internal', 'database error', { cause: err });
}

/** One INSERT's text (with `?` placeholders) and its parameters (arrays for unnest). */
interface InsertStatement {
  sql: string;
  params: (SqlValue | SqlValue[])[];
}

/** Runs statements on a pool (each its own transaction) or on one client inside a transaction. */
class PgExecutor implements SqlExecutor {
  readonly dialect = DIALECT;

  constructor(
    private readonly target: pg.Pool | pg.PoolClient,
    private readonly inTransaction: boolean,
    private readonly typeCache: Map<string, Map<string, string>>,
  ) {}

  /** Runs one statement; array parameters (for unnest) must be made storable by the caller. */
  private async query(sql: string, params?: readonly (SqlValue | SqlValue[])[]): Promise<pg.QueryResult<Row>> {
    try {
      const values = (params ?? []).map((v) => (typeof v === 'string' ? storableText(v) : v));
      const text = toPositional(sql);
      // Statements of a fixed shape run as named prepared statements: PostgreSQL parses and plans
      // each once per connection instead of on every check-in. Long parameter lists (IN lists of
      // many ids, multi-row VALUES) vary in shape and stay unnamed.
      if (values.length <= NAMED_MAX_PARAMS) return await this.target.query<Row>({ name: statementName(text), text, values });
      return await this.target.query<Row>(text, values);
    } catch (err) {
      // Inside a transaction the raw error goes up so that the transaction can retry deadlocks.
      throw this.inTransaction ? err : translatePgError(err);
    }
  }

  async all<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return (await this.query(sql, params)).rows as R[];
  }

  async one<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> {
    return (await this.query(sql, params)).rows[0] as R | undefined;
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    try {
      await this.target.query(script);
    } catch (err) {
      throw this.inTransaction ? err : translatePgError(err);
    }
  }

  async insert<R = Row>(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    options?: InsertOptions,
  ): Promise<R[]> {
    if (rows.length === 0) return [];
    const returned: R[] = [];
    for (const statement of await this.insertStatements(table, columns, rows, options)) {
      returned.push(...((await this.query(statement.sql, statement.params)).rows as R[]));
    }
    return returned;
  }

  async insertAll(inserts: readonly InsertSpec[]): Promise<void> {
    const statements: InsertStatement[] = [];
    for (const { table, columns, rows, options } of inserts) {
      if (rows.length > 0) statements.push(...(await this.insertStatements(table, columns, rows, options)));
    }
    if (statements.length === 0) return;
    if (statements.length === 1) {
      await this.query(statements[0]!.sql, statements[0]!.params);
      return;
    }
    // Data-modifying statements in WITH all run, once, whether or not the main query reads them.
    const sql = `WITH ${statements.map((statement, i) => `w${i} AS (${statement.sql})`).join(', ')} SELECT 1`;
    await this.query(sql, statements.flatMap((statement) => statement.params));
  }

  /** The statement(s) inserting `rows` (not empty): one, unless a VALUES list has to be split. */
  private async insertStatements(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    options?: InsertOptions,
  ): Promise<InsertStatement[]> {
    const names = columns.map(assertIdentifier).join(', ');
    const tail = insertTail(options);
    const types = rows.length > 1 ? await this.columnTypes(table) : null;
    if (types && columns.every((c) => types.has(c))) {
      // Many rows go as one array per column: one short statement whatever the row count,
      // instead of a VALUES list with thousands of parameters to parse and plan.
      const arrays = columns.map((_, i) => storableParams(rows.map((row) => row[i] ?? null)));
      return [{ sql: `INSERT INTO ${assertIdentifier(table)} (${names}) SELECT * FROM unnest(${columns.map((c) => `?::${types.get(c)}[]`).join(', ')})${tail}`, params: arrays }];
    }
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const statements: InsertStatement[] = [];
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      statements.push({ sql: `INSERT INTO ${assertIdentifier(table)} (${names}) VALUES ${chunk.map(() => placeholders(columns.length)).join(', ')}${tail}`, params: chunk.flat() });
    }
    return statements;
  }

  /** The SQL type of each column of a table in the current schema (cached per driver). */
  private async columnTypes(table: string): Promise<Map<string, string> | null> {
    let types = this.typeCache.get(table);
    if (!types) {
      const rows = await this.all<{ name: string; type: string }>(
        'SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = to_regclass(?::text) AND a.attnum > 0 AND NOT a.attisdropped',
        [table],
      );
      if (rows.length === 0) return null;
      types = new Map(rows.map((r) => [r.name, r.type]));
      this.typeCache.set(table, types);
    }
    return types;
  }

  async lock(purpose: LockPurpose): Promise<void> {
    if (!this.inTransaction) return;
    await this.query("SELECT pg_advisory_xact_lock(?, hashtext(coalesce(current_schema(), '')))", [LOCK_CLASS[purpose]]);
  }
}

export interface PostgresConnection {
  /** postgres://user@host:port/database */
  url: string;
  /** The schema to use (search_path); default: the server's default (public). */
  schema?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The PostgreSQL back end's driver: a connection pool, READ COMMITTED transactions with row and advisory locks. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = DIALECT;
  private readonly executor: PgExecutor;

  private readonly typeCache = new Map<string, Map<string, string>>();
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {
    this.executor = new PgExecutor(pool, false, this.typeCache);
  }

  /** A driver on a new pool; connections open on first use. */
  static open(connection: PostgresConnection): PostgresDriver {
    const settings = ['-c TimeZone=UTC'];
    if (connection.schema !== undefined) settings.push(`-c search_path=${assertIdentifier(connection.schema)}`);
    const pool = new pg.Pool({
      connectionString: connection.url,
      max: connection.maxConnections ?? 10,
      options: settings.join(' '),
      application_name: 'mamori-collector',
      connectionTimeoutMillis: 10_000,
      types: TYPES,
    });
    // An idle connection that the server drops must not crash the process; the next query
    // reconnects or reports the store as unavailable.
    pool.on('error', () => {});
    return new PostgresDriver(pool);
  }

  private open(): PgExecutor {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    return this.executor;
  }

  async all<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.open().all<R>(sql, params);
  }

  async one<R = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> {
    return this.open().one<R>(sql, params);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.open().run(sql, params);
  }

  async exec(script: string): Promise<void> {
    return this.open().exec(script);
  }

  async insert<R = Row>(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], options?: InsertOptions): Promise<R[]> {
    return this.open().insert<R>(table, columns, rows, options);
  }

  async insertAll(inserts: readonly InsertSpec[]): Promise<void> {
    return this.open().insertAll(inserts);
  }

  async lock(): Promise<void> {}

  async transaction<T>(body: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.open();
    for (let attempt = 1; ; attempt += 1) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw translatePgError(err);
      }
      let broken: Error | undefined;
      try {
        // One round trip for both statements (simple query protocol).
        await client.query(options.resendable ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN');
        const result = await body(new PgExecutor(client, true, this.typeCache));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        if (RETRYABLE.has(codeOf(err)) && attempt < MAX_ATTEMPTS && !broken) {
          await sleep(5 * attempt + Math.random() * 20);
          continue;
        }
        throw translatePgError(err);
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
