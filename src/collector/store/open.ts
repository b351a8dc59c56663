import { PostgresDriver, type PostgresConnection } from './postgres/driver.js';
import { POSTGRES_BOOTSTRAP, POSTGRES_MIGRATIONS } from './postgres/migrations.js';
import { SqlStore } from './sql/sql-store.js';
import { SqliteDriver, type SqliteDriverOptions } from './sqlite/driver.js';
import { SQLITE_BOOTSTRAP, SQLITE_MIGRATIONS } from './sqlite/migrations.js';
import type { Store } from './store.js';
import type { StoreOptions } from './types.js';

export type SqliteStoreOptions = StoreOptions & SqliteDriverOptions;

/** The embedded back end on a database file (created with its folder when absent); call migrate() before use. */
export function openSqliteStore(file: string, options?: SqliteStoreOptions): Store {
  return new SqlStore({
    backend: 'sqlite',
    driver: SqliteDriver.open(file, options),
    bootstrapSql: SQLITE_BOOTSTRAP,
    migrations: SQLITE_MIGRATIONS,
    ...(options ? { options } : {}),
  });
}

/** The PostgreSQL back end on a connection pool (connects on first use); call migrate() before use. */
export function openPostgresStore(connection: PostgresConnection, options?: StoreOptions & { maxConnections?: number }): Store {
  return new SqlStore({
    backend: 'postgres',
    driver: PostgresDriver.open({ ...connection, ...(options?.maxConnections ? { maxConnections: options.maxConnections } : {}) }),
    bootstrapSql: POSTGRES_BOOTSTRAP,
    migrations: POSTGRES_MIGRATIONS,
    ...(options ? { options } : {}),
  });
}

export type StoreTarget = string | { sqliteFile: string } | PostgresConnection;

/** True for a postgres:// or postgresql:// URL. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * The store for `--database`: a postgres:// URL opens PostgreSQL (a `schema` query parameter
 * picks the schema), anything else is a SQLite file path. Call migrate() before use.
 */
export function openStore(target: StoreTarget, options?: SqliteStoreOptions): Store {
  if (typeof target !== 'string') {
    return 'sqliteFile' in target ? openSqliteStore(target.sqliteFile, options) : openPostgresStore(target, options);
  }
  if (!isPostgresUrl(target)) return openSqliteStore(target, options);
  const url = new URL(target);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  return openPostgresStore({ url: url.toString(), ...(schema ? { schema } : {}) }, options);
}
