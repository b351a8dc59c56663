import { describe, expect, it } from 'vitest';
import { PostgresDriver, toPositional, translatePgError } from '../../src/collector/store/postgres/driver.js';
import { ConflictError, InvalidInputError, NotFoundError, SchemaMismatchError, StoreError, StoreUnavailableError } from '../../src/collector/store/errors.js';
import { assertIdentifier, insertTail, Mutex, storableJson, storableText } from '../../src/collector/store/sql/driver.js';
import { assertMigrationList } from '../../src/collector/store/sql/migrate.js';
import { POSTGRES_MIGRATIONS } from '../../src/collector/store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/collector/store/sqlite/migrations.js';
import { translateSqliteError } from '../../src/collector/store/sqlite/driver.js';
import { pageSize, requireTime } from '../../src/collector/store/values.js';

describe('storableText', () => {
  it.each([
    ['一太郎2024', '一太郎2024'],
    ['a\u0000b', 'a\uFFFDb'],
    ['\uD83D\uDE00 ok', '\uD83D\uDE00 ok'],
    ['lone \uD83D high', 'lone \uFFFD high'],
    ['lone \uDE00 low', 'lone \uFFFD low'],
    ['\uDE00\uD83D', '\uFFFD\uFFFD'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(storableText(input)).toBe(expected);
    expect(storableText(input)).toBe(expected);
  });

  it('cleans keys and nested values of JSON', () => {
    expect(JSON.parse(storableJson({ 'k\u0000': ['v\uD800', { n: 1 }] }))).toEqual({ 'k\uFFFD': ['v\uFFFD', { n: 1 }] });
  });
});

describe('SQL building', () => {
  it('numbers placeholders for PostgreSQL', () => {
    expect(toPositional('SELECT * FROM t WHERE a = ? AND (b < ? OR c = ?) LIMIT ?')).toBe('SELECT * FROM t WHERE a = $1 AND (b < $2 OR c = $3) LIMIT $4');
  });

  it('builds ON CONFLICT and RETURNING from identifiers only', () => {
    expect(insertTail({ conflict: { columns: ['id'] }, returning: ['id'] })).toBe(' ON CONFLICT (id) DO NOTHING RETURNING id');
    expect(insertTail({ conflict: { columns: ['device_id', 'item_id'], update: ['name', 'version'] } })).toBe(
      ' ON CONFLICT (device_id, item_id) DO UPDATE SET name = excluded.name, version = excluded.version',
    );
    expect(() => assertIdentifier('name; DROP TABLE devices')).toThrow(TypeError);
    expect(() => insertTail({ returning: ['id"'] })).toThrow(TypeError);
    expect(() => PostgresDriver.open({ url: 'postgres://127.0.0.1:1/x', schema: 'public; DROP' })).toThrow(TypeError);
  });
});

describe('migration lists', () => {
  it('are numbered 1, 2, 3… and the same length on both back ends', () => {
    expect(() => assertMigrationList(SQLITE_MIGRATIONS)).not.toThrow();
    expect(() => assertMigrationList(POSTGRES_MIGRATIONS)).not.toThrow();
    expect(SQLITE_MIGRATIONS.map((m) => m.name)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.name));
    expect(() => assertMigrationList([{ version: 2, name: 'x', sql: '' }])).toThrow();
  });

  it('create the same tables on both back ends', () => {
    const tables = (sql: string) => [...sql.matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]).sort();
    expect(tables(SQLITE_MIGRATIONS.map((m) => m.sql).join('\n'))).toEqual(tables(POSTGRES_MIGRATIONS.map((m) => m.sql).join('\n')));
  });
});

describe('driver errors', () => {
  it.each([
    [{ code: '23505' }, ConflictError],
    [{ code: '23503' }, NotFoundError],
    [{ code: '23514' }, InvalidInputError],
    [{ code: '22P05' }, InvalidInputError],
    [{ code: '42P01' }, SchemaMismatchError],
    [{ code: 'ECONNREFUSED' }, StoreUnavailableError],
    [{ code: '57P01' }, StoreUnavailableError],
    [{ code: '40P01' }, StoreUnavailableError],
    [{ code: 'XX000' }, StoreError],
  ])('PostgreSQL %j → %s', (err, type) => {
    const translated = translatePgError(Object.assign(new Error('detail: Key (username)=(secret) exists'), err));
    expect(translated).toBeInstanceOf(type);
    expect(translated.message).not.toMatch(/secret|Key \(/);
  });

  it.each([
    ['SQLITE_CONSTRAINT_UNIQUE', ConflictError],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', ConflictError],
    ['SQLITE_CONSTRAINT_FOREIGNKEY', NotFoundError],
    ['SQLITE_CONSTRAINT_NOTNULL', InvalidInputError],
    ['SQLITE_BUSY', StoreUnavailableError],
    ['SQLITE_IOERR_WRITE', StoreUnavailableError],
    ['SQLITE_CORRUPT', StoreError],
  ])('SQLite %s → %s', (code, type) => {
    expect(translateSqliteError(Object.assign(new Error('UNIQUE constraint failed: admins.username'), { code }))).toBeInstanceOf(type);
  });

  it('pass store errors through unchanged', () => {
    const original = new NotFoundError('device');
    expect(translatePgError(original)).toBe(original);
    expect(translateSqliteError(original)).toBe(original);
  });
});

describe('values', () => {
  it.each([
    ['2026-11-02T09:00:00+09:00', '2026-11-02T00:00:00.000Z'],
    ['2026-11-02T00:00:00Z', '2026-11-02T00:00:00.000Z'],
    ['2026-11-02T00:00:00.123456Z', '2026-11-02T00:00:00.123Z'],
  ])('normalises the time %s', (input, expected) => {
    expect(requireTime(input, 't')).toBe(expected);
  });

  it.each(['2026-11-02T09:00:00', '2026-11-02', '11/02/2026', 'garbage', '', '2026-13-45T00:00:00Z'])('refuses the time %j', (input) => {
    expect(() => requireTime(input, 't')).toThrow(InvalidInputError);
  });

  it('clamps page sizes', () => {
    expect([pageSize(undefined), pageSize(0), pageSize(-5), pageSize(50.7), pageSize(10_000), pageSize(Number.NaN)]).toEqual([100, 1, 1, 50, 1000, 100]);
  });
});

describe('Mutex', () => {
  it('runs holders one at a time, in order, and survives a failing one', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    const hold = (name: string, fail = false) =>
      mutex.run(async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`${name}-`);
        if (fail) throw new Error(name);
      });
    const results = await Promise.allSettled([hold('a'), hold('b', true), hold('c')]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
