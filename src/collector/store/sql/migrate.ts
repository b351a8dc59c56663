import { SchemaMismatchError } from '../errors.js';
import type { MigrationResult } from '../types.js';
import type { SqlDriver } from './driver.js';

/** One forward-only step of a back end's schema. Versions start at 1 and go up by one. */
export interface Migration {
  version: number;
  name: string;
  /** Statements without parameters, run in the migration transaction. */
  sql: string;
}

/** Throws unless versions are 1, 2, 3… in order with names (a mistake in the code, not the data). */
export function assertMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1 || m.name.trim() === '') throw new TypeError(`migration ${i + 1} is numbered ${m.version}`);
  });
}

/**
 * Applies the pending migrations in one transaction that holds the 'migrate' lock, so that two
 * processes calling it at once apply each version once; the second one finds nothing to do.
 * Each applied version is recorded in schema_migrations. Refuses a database that has versions
 * this list does not know, or a different name for a known version.
 */
export async function runMigrations(
  driver: SqlDriver,
  bootstrapSql: string,
  migrations: readonly Migration[],
  now: () => string,
): Promise<MigrationResult> {
  assertMigrationList(migrations);
  return driver.transaction(async (tx) => {
    await tx.lock('migrate');
    await tx.exec(bootstrapSql);
    const rows = await tx.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
    const known = new Map(migrations.map((m) => [m.version, m.name]));
    for (const row of rows) {
      const version = Number(row.version);
      const name = known.get(version);
      if (name === undefined) {
        throw new SchemaMismatchError(`the database has schema version ${version}, newer than this collector knows (${migrations.length}); upgrade the collector`);
      }
      if (name !== row.name) throw new SchemaMismatchError(`schema version ${version} was applied as "${row.name}", this collector calls it "${name}"`);
    }
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now()]);
      applied.push(migration.version);
    }
    return { applied, version: migrations.length };
  });
}
