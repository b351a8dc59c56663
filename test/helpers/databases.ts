import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { it } from 'vitest';
import { openPostgresStore, openSqliteStore, type Store, type StoreOptions } from '../../src/collector/store/index.js';

// Real databases for integration tests: SQLite in a fresh temporary folder, PostgreSQL in a fresh
// schema of the test database (dropped afterwards). The same conventions as
// test/integration/store.test.ts: PostgreSQL at MAMORI_TEST_PG_URL (default 127.0.0.1:5432/test,
// trust auth); when it cannot be reached the PostgreSQL suites skip and say why, except under CI
// or MAMORI_REQUIRE_POSTGRES=1, where they fail.

export const PG_URL = process.env.MAMORI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PG_REQUIRED = Boolean(process.env.CI) || process.env.MAMORI_REQUIRE_POSTGRES === '1';

/** The URL with its password masked, for messages. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable MAMORI_TEST_PG_URL)';
  }
}

/** Why PostgreSQL cannot be used (connect + SELECT 1 within 3 s), or null when it can. */
export async function postgresProblem(url: string = PG_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    const reason = err instanceof Error ? err.message || err.name : String(err);
    return `PostgreSQL not reachable at ${withoutPassword(url)} (${reason}); set MAMORI_TEST_PG_URL or start it`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The test database URL with `?schema=` set, as `mamori-collector serve --database` takes it. */
export function postgresUrlWithSchema(schema: string, url: string = PG_URL): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** A new, empty schema in the test database; `drop()` removes it with everything in it. */
export async function createPostgresSchema(url: string = PG_URL): Promise<{ schema: string; url: string; drop(): Promise<void> }> {
  const schema = `mamori_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => {});
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  return {
    schema,
    url: postgresUrlWithSchema(schema, url),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh empty database for one test; any number of stores (collector processes) may open on it. */
export interface FreshDatabase {
  /** A new store on this database (not yet migrated); closed by dispose(). */
  open(options?: StoreOptions): Store;
  /** What `mamori-collector serve` takes: `--data`'s SQLite file, or the PostgreSQL URL with its schema. */
  readonly target: { sqliteFile: string } | { postgresUrl: string };
  /** Closes every store opened here and removes the database. */
  dispose(): Promise<void>;
}

export interface DatabaseBackend {
  name: 'sqlite' | 'postgres';
  /** Why this back end cannot run here, or null. */
  unavailable: string | null;
  create(): Promise<FreshDatabase>;
}

function closing(): { track(store: Store): Store; closeAll(): Promise<void> } {
  const open: Store[] = [];
  return {
    track(store) {
      open.push(store);
      return store;
    },
    async closeAll() {
      await Promise.allSettled(open.map((s) => s.close()));
    },
  };
}

export const sqliteBackend: DatabaseBackend = {
  name: 'sqlite',
  unavailable: null,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-db-'));
    const sqliteFile = join(dir, 'collector.sqlite');
    const opened = closing();
    return {
      open: (options) => opened.track(openSqliteStore(sqliteFile, options)),
      target: { sqliteFile },
      async dispose() {
        await opened.closeAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The PostgreSQL back end, after probing the server once (call at the top level of a test file). */
export async function postgresBackend(): Promise<DatabaseBackend> {
  const unavailable = await postgresProblem();
  if (unavailable && !PG_REQUIRED) console.warn(`${unavailable}. Skipping the PostgreSQL collector tests.`);
  return {
    name: 'postgres',
    unavailable,
    async create() {
      const created = await createPostgresSchema();
      const opened = closing();
      return {
        open: (options) => opened.track(openPostgresStore({ url: PG_URL, schema: created.schema }, options)),
        target: { postgresUrl: created.url },
        async dispose() {
          await opened.closeAll();
          await created.drop();
        },
      };
    },
  };
}

/** Both back ends, PostgreSQL probed once. */
export async function databaseBackends(): Promise<DatabaseBackend[]> {
  return [sqliteBackend, await postgresBackend()];
}

/**
 * Inside a describe block: when the back end cannot run here, registers a test that fails (CI,
 * MAMORI_REQUIRE_POSTGRES=1) or is skipped with the reason, and returns false so the caller
 * registers nothing else.
 */
export function backendRuns(backend: DatabaseBackend): boolean {
  const reason = backend.unavailable;
  if (reason === null) return true;
  if (PG_REQUIRED) {
    it(`has a ${backend.name} server to run against (CI or MAMORI_REQUIRE_POSTGRES=1)`, () => {
      throw new Error(reason);
    });
  } else {
    it.skip(`runs against ${backend.name} — skipped: ${reason}`, () => {});
  }
  return false;
}
