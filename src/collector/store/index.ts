// The collector's store: one interface (store.ts), two back ends behind openStore().
export type { Store } from './store.js';
export * from './types.js';
export * from './errors.js';
export { openStore, openSqliteStore, openPostgresStore, isPostgresUrl, type SqliteStoreOptions, type StoreTarget } from './open.js';
export type { PostgresConnection } from './postgres/driver.js';
