import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/shared/events.js';
import { hashSection, hashSoftwareItem } from '../../src/shared/inventory/document.js';
import { canonicalHash } from '../../src/shared/canonical.js';
import type { SectionData } from '../../src/shared/inventory/sections.js';
import type { SoftwareItem } from '../../src/shared/inventory/software.js';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  SchemaMismatchError,
  StoreUnavailableError,
  isPostgresUrl,
  openPostgresStore,
  openSqliteStore,
  openStore,
  type DeviceEnrollment,
  type InventoryChange,
  type Store,
  type StoreOptions,
} from '../../src/collector/store/index.js';
import { PostgresDriver } from '../../src/collector/store/postgres/driver.js';
import type { SqlDriver } from '../../src/collector/store/sql/driver.js';
import { runMigrations, type Migration } from '../../src/collector/store/sql/migrate.js';
import { SqliteDriver } from '../../src/collector/store/sqlite/driver.js';

// One suite, run against every back end on a real database: SQLite in a fresh temporary folder,
// PostgreSQL in a fresh schema per test (dropped afterwards).

const PG_URL = process.env.MAMORI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_REQUIRED = Boolean(process.env.CI) || process.env.MAMORI_REQUIRE_POSTGRES === '1';

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable MAMORI_TEST_PG_URL)';
  }
}

async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

const pgProblem = await postgresProblem();
const pgUnavailable = pgProblem === null ? null : `PostgreSQL not reachable at ${withoutPassword(PG_URL)} (${pgProblem}); set MAMORI_TEST_PG_URL or start it`;
if (pgUnavailable && !PG_REQUIRED) console.warn(`${pgUnavailable}. Skipping the PostgreSQL store tests.`);

/** A fresh empty database for one test, on which any number of stores ("collector processes") open. */
interface TestDatabase {
  open(options?: StoreOptions): Store;
  driver(): SqlDriver;
  /** Runs SQL directly, to set up states the API cannot produce. */
  sql(statement: string): Promise<void>;
  dispose(): Promise<void>;
}

interface Backend {
  name: 'sqlite' | 'postgres';
  unavailable: string | null;
  create(): Promise<TestDatabase>;
}

function closing(): { track<T extends { close(): Promise<void> }>(x: T): T; closeAll(): Promise<void> } {
  const open: { close(): Promise<void> }[] = [];
  return {
    track(x) {
      open.push(x);
      return x;
    },
    async closeAll() {
      await Promise.allSettled(open.map((x) => x.close()));
    },
  };
}

const sqlite: Backend = {
  name: 'sqlite',
  unavailable: null,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-store-'));
    const file = join(dir, 'data', 'collector.db');
    const opened = closing();
    return {
      open: (options) => opened.track(openSqliteStore(file, options)),
      driver: () => opened.track(SqliteDriver.open(file)),
      async sql(statement) {
        const db = new Database(file);
        db.exec(statement);
        db.close();
      },
      async dispose() {
        await opened.closeAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  unavailable: pgUnavailable,
  async create() {
    const schema = `mamori_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const opened = closing();
    return {
      open: (options) => opened.track(openPostgresStore({ url: PG_URL, schema }, options)),
      driver: () => opened.track(PostgresDriver.open({ url: PG_URL, schema })),
      async sql(statement) {
        await admin.query(`SET search_path TO ${schema}`);
        await admin.query(statement);
      },
      async dispose() {
        await opened.closeAll();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
};

/** A clock the test moves by hand. */
class TestClock {
  private ms: number;
  constructor(start: string) {
    this.ms = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.ms);
  iso(): string {
    return new Date(this.ms).toISOString();
  }
  advance(ms: number): string {
    this.ms += ms;
    return this.iso();
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type EnrollmentOverrides = Partial<Omit<DeviceEnrollment, 'fingerprint'>> & { fingerprint?: Partial<DeviceEnrollment['fingerprint']> };

function enrollment(overrides: EnrollmentOverrides = {}): DeviceEnrollment {
  return {
    hostname: overrides.hostname ?? 'SOUMU-PC014',
    platform: overrides.platform ?? 'win32',
    keyHash: overrides.keyHash ?? sha(randomUUID()),
    fingerprint: {
      systemUuid: randomUUID(),
      serial: `JP${randomUUID().slice(0, 8).toUpperCase()}`,
      primaryMac: '3c:52:82:1a:2b:3c',
      ...overrides.fingerprint,
    },
  };
}

// Software items shaped like the agent's collectors report them (Windows registry, Appx, dpkg).
function software(id: string, name: string, version: string | null, extra: Partial<SoftwareItem> = {}): SoftwareItem {
  return {
    id,
    name,
    version,
    publisher: null,
    installDate: null,
    source: 'registry-hklm',
    scope: 'system',
    arch: 'x64',
    installPath: null,
    msiProductCode: null,
    msiUpgradeCode: null,
    packageFamilyName: null,
    bundleId: null,
    packageName: null,
    ...extra,
  };
}

const EDGE = software('registry-hklm:Microsoft Edge', 'Microsoft Edge', '131.0.2903.70', {
  publisher: 'Microsoft Corporation',
  installPath: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application',
});
const ICHITARO = software('registry-wow6432:{F2B6F2B3-1E8E-4A3A-9C3E-6B7C6C1D0E21}', '一太郎2024', '34.0.1', {
  publisher: '株式会社ジャストシステム',
  source: 'registry-wow6432',
  arch: 'x86',
  msiProductCode: '{F2B6F2B3-1E8E-4A3A-9C3E-6B7C6C1D0E21}',
});
const ACROBAT = software('registry-hklm:{AC76BA86-7AD7-1041-7B44-AC0F074E4100}', 'Adobe Acrobat Reader DC - Japanese', '24.004.20220', {
  publisher: 'Adobe Systems Incorporated',
  msiProductCode: '{AC76BA86-7AD7-1041-7B44-AC0F074E4100}',
});
const SEVENZIP = software('registry-hklm:7-Zip', '7-Zip 23.01 (x64)', '23.01', { publisher: 'Igor Pavlov' });
const TEAMS = software('appx:MSTeams_8wekyb3d8bbwe', 'Microsoft Teams', '24295.605.3225.8804', {
  publisher: 'Microsoft Corporation',
  source: 'appx',
  scope: 'user',
  packageFamilyName: 'MSTeams_8wekyb3d8bbwe',
});

function section<T>(data: T): { hash: string; data: T } {
  return { hash: canonicalHash(data), data };
}

/** A software list as an agent sends it: with its set hash. */
function softwareSection<T>(items: T): { hash: string; data: T } {
  return { hash: hashSection('software', items), data: items };
}

function memory(totalGiB: number, banks: string[]): SectionData<'memory'> {
  return {
    totalBytes: totalGiB * 1024 ** 3,
    swapTotalBytes: 2 * 1024 ** 3,
    modules: banks.map((bank) => ({
      sizeBytes: 8 * 1024 ** 3,
      bank,
      type: 'DDR4',
      clockMHz: 3200,
      formFactor: 'SODIMM',
      manufacturer: 'Samsung',
      partNumber: 'M471A1K43DB1-CWE',
      serial: null,
    })),
  };
}

function os(hostname: string, name = 'Microsoft Windows 11 Pro', version = '23H2'): SectionData<'os'> {
  return {
    platform: 'win32',
    name,
    version,
    build: '22631.4460',
    codename: null,
    kernel: '10.0.22631',
    arch: 'x64',
    hostname,
    fqdn: null,
    domain: 'soumu.city.example.lg.jp',
    workgroup: null,
    domainJoined: true,
    uefi: true,
    installDate: '2024-04-01T09:00:00Z',
    serial: null,
  };
}

let eventClock = Date.parse('2026-11-01T00:00:00.000Z');
function event(type: AgentEvent['type'] = 'media.inserted', payload: Record<string, unknown> = {}, id: string = randomUUID()): AgentEvent {
  eventClock += 1_000;
  return { id, type, occurredAt: new Date(eventClock).toISOString(), osUser: 'yamada.taro', payload };
}

/** Software ids present after replaying a device's history from its first upload. */
function replaySoftware(baseline: readonly string[], changes: readonly InventoryChange[]): Set<string> {
  const ids = new Set(baseline);
  for (const change of [...changes].sort((a, b) => a.id - b.id)) {
    if (change.kind === 'software.installed') ids.add(change.software.id);
    if (change.kind === 'software.removed') ids.delete(change.software.id);
  }
  return ids;
}

describe.each([sqlite, postgres])('the $name store', (backend) => {
  if (backend.unavailable) {
    if (PG_REQUIRED) {
      it('has a PostgreSQL server to run against (CI or MAMORI_REQUIRE_POSTGRES=1)', () => {
        throw new Error(backend.unavailable ?? 'unavailable');
      });
    } else {
      it.skip(`runs against PostgreSQL — skipped: ${backend.unavailable}`, () => {});
    }
    return;
  }

  let db: TestDatabase;
  let store: Store;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock('2026-11-02T09:00:00.000Z');
    db = await backend.create();
    store = db.open({ now: clock.now });
    await store.migrate();
  });

  afterEach(async () => {
    await db.dispose();
  });

  /** Another collector process on the same database, connected already so that calls really overlap. */
  async function otherProcess(): Promise<Store> {
    const other = db.open({ now: clock.now });
    await Promise.all([other.listDevices(), other.listDevices(), store.listDevices(), store.listDevices()]);
    return other;
  }

  async function enroll(overrides: Parameters<typeof enrollment>[0] = {}): Promise<string> {
    return (await store.enrollDevice(enrollment(overrides))).deviceId;
  }

  describe('migrations', () => {
    it('are recorded once: a second migrate applies nothing', async () => {
      const fresh = (await backend.create());
      try {
        const other = fresh.open();
        expect(await other.migrate()).toEqual({ applied: [1, 2, 3], version: 3 });
        expect(await other.migrate()).toEqual({ applied: [], version: 3 });
        expect(other.backend).toBe(backend.name);
        if (backend.name === 'postgres') {
          // Migration 3: room for in-place (HOT) updates of the rows every check-in rewrites.
          const options = await fresh.driver().all<{ relname: string; reloptions: string[] | null }>(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN ('devices', 'inventory_sections') AND relnamespace = current_schema()::regnamespace ORDER BY relname",
          );
          expect(options).toEqual([
            { relname: 'devices', reloptions: ['fillfactor=80'] },
            { relname: 'inventory_sections', reloptions: ['fillfactor=70'] },
          ]);
        }
      } finally {
        await fresh.dispose();
      }
    });

    it('apply only the pending versions, in order, each in the same transaction as its record', async () => {
      const fresh = await backend.create();
      try {
        const bootstrap = backend.name === 'sqlite'
          ? 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'
          : 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)';
        const first: Migration = { version: 1, name: 'ledger', sql: 'CREATE TABLE ledger (id INTEGER PRIMARY KEY, label TEXT NOT NULL)' };
        const second: Migration = { version: 2, name: 'ledger note', sql: 'ALTER TABLE ledger ADD COLUMN note TEXT' };
        const broken: Migration = { version: 3, name: 'broken', sql: 'CREATE TABLE extra (id INTEGER); CREATE TABLE ledger (id INTEGER)' };
        const driver = fresh.driver();
        const now = () => clock.iso();
        expect(await runMigrations(driver, bootstrap, [first], now)).toEqual({ applied: [1], version: 1 });
        expect(await runMigrations(driver, bootstrap, [first, second], now)).toEqual({ applied: [2], version: 2 });
        await driver.run("INSERT INTO ledger (id, label, note) VALUES (1, 'USB-001', '総務課')");
        // A failing step leaves neither its tables nor its record behind.
        await expect(runMigrations(driver, bootstrap, [first, second, broken], now)).rejects.toThrow();
        expect(await driver.all('SELECT version, name FROM schema_migrations ORDER BY version')).toEqual([
          { version: 1, name: 'ledger' },
          { version: 2, name: 'ledger note' },
        ]);
        await expect(driver.all('SELECT * FROM extra')).rejects.toBeInstanceOf(SchemaMismatchError);
        // Forward only: a renamed or missing step is a different history, refused.
        await expect(runMigrations(driver, bootstrap, [first, { ...second, name: 'renamed' }], now)).rejects.toBeInstanceOf(SchemaMismatchError);
        await expect(runMigrations(driver, bootstrap, [first], now)).rejects.toBeInstanceOf(SchemaMismatchError);
      } finally {
        await fresh.dispose();
      }
    });

    it('refuse a database that a newer collector migrated', async () => {
      await db.sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', '2030-01-01T00:00:00.000Z')");
      await expect(store.migrate()).rejects.toBeInstanceOf(SchemaMismatchError);
    });

    it('are safe when two collector processes migrate one database at once', async () => {
      const fresh = await backend.create();
      try {
        const stores = [fresh.open(), fresh.open(), fresh.open()];
        const results = await Promise.all(stores.map((s) => s.migrate()));
        expect(results.flatMap((r) => r.applied)).toEqual([1, 2, 3]);
        expect(results.every((r) => r.version === 3)).toBe(true);
        expect(await stores[0]!.listDevices()).toEqual([]);
      } finally {
        await fresh.dispose();
      }
    });

    it('say "run migrate" when the schema is missing', async () => {
      const fresh = await backend.create();
      try {
        const unmigrated = fresh.open();
        const error = await unmigrated.listDevices().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SchemaMismatchError);
        expect((error as Error).message).toMatch(/migrate/);
      } finally {
        await fresh.dispose();
      }
    });
  });

  describe('admins', () => {
    it('are found by their exact username, with role and password hash', async () => {
      const created = await store.createAdmin('情報システム課.山田', '$scrypt$N=16384,r=8,p=1$c2FsdA$aGFzaA', 'approver');
      expect(created).toMatchObject({ username: '情報システム課.山田', role: 'approver', createdAt: clock.iso() });
      expect(await store.findAdminByUsername('情報システム課.山田')).toEqual(created);
      expect(await store.findAdminByUsername('情報システム課.山田 ')).toBeNull();
      expect(await store.findAdminByUsername('nobody')).toBeNull();
    });

    it('refuse a second admin with the same username, and unknown roles', async () => {
      await store.createAdmin('kansa', 'hash-1', 'auditor');
      await expect(store.createAdmin('kansa', 'hash-2', 'admin')).rejects.toBeInstanceOf(ConflictError);
      await expect(store.createAdmin('root', 'hash', 'superuser' as never)).rejects.toBeInstanceOf(InvalidInputError);
      expect((await store.findAdminByUsername('kansa'))?.passwordHash).toBe('hash-1');
    });
  });

  describe('enrollment secrets', () => {
    it('are kept as hashes only and listed newest first', async () => {
      await expect(
        store.createEnrollmentSecret({ secretHash: 'plain-secret-from-the-installer', label: 'x', expiresAt: null, maxUses: null }),
      ).rejects.toBeInstanceOf(InvalidInputError);
      const first = await store.createEnrollmentSecret({ secretHash: sha('s1'), label: '本庁舎 2026', expiresAt: null, maxUses: null });
      clock.advance(1_000);
      const second = await store.createEnrollmentSecret({ secretHash: sha('s2'), label: '支所', expiresAt: '2026-12-01T00:00:00+09:00', maxUses: 5 });
      expect(second).toMatchObject({ expiresAt: '2026-11-30T15:00:00.000Z', maxUses: 5, uses: 0, revokedAt: null });
      expect((await store.listEnrollmentSecrets()).map((s) => s.id)).toEqual([second.id, first.id]);
      await expect(store.createEnrollmentSecret({ secretHash: sha('s1'), label: 'again', expiresAt: null, maxUses: null })).rejects.toBeInstanceOf(ConflictError);
    });

    it('count each use and stop at maxUses', async () => {
      await store.createEnrollmentSecret({ secretHash: sha('two'), label: 'two uses', expiresAt: null, maxUses: 2 });
      expect((await store.useEnrollmentSecret(sha('two')))?.uses).toBe(1);
      expect((await store.useEnrollmentSecret(sha('two')))?.uses).toBe(2);
      expect(await store.useEnrollmentSecret(sha('two'))).toBeNull();
      expect((await store.listEnrollmentSecrets())[0]?.uses).toBe(2);
    });

    it('stop working when they expire', async () => {
      await store.createEnrollmentSecret({ secretHash: sha('week'), label: 'one week', expiresAt: clock.advance(0).replace('2026-11-02', '2026-11-09'), maxUses: null });
      expect(await store.useEnrollmentSecret(sha('week'))).not.toBeNull();
      clock.set('2026-11-08T23:59:59.999Z');
      expect(await store.useEnrollmentSecret(sha('week'))).not.toBeNull();
      clock.set('2026-11-09T09:00:00.000Z');
      expect(await store.useEnrollmentSecret(sha('week'))).toBeNull();
    });

    it('stop working when revoked; revoking twice keeps the first time', async () => {
      const secret = await store.createEnrollmentSecret({ secretHash: sha('r'), label: 'r', expiresAt: null, maxUses: null });
      const revoked = await store.revokeEnrollmentSecret(secret.id);
      expect(revoked.revokedAt).toBe(clock.iso());
      clock.advance(HOUR);
      expect((await store.revokeEnrollmentSecret(secret.id)).revokedAt).toBe(revoked.revokedAt);
      expect(await store.useEnrollmentSecret(sha('r'))).toBeNull();
      await expect(store.revokeEnrollmentSecret(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    });

    it('are unknown for any other hash or a raw secret', async () => {
      await store.createEnrollmentSecret({ secretHash: sha('known'), label: 'k', expiresAt: null, maxUses: null });
      expect(await store.useEnrollmentSecret(sha('unknown'))).toBeNull();
      expect(await store.useEnrollmentSecret('known')).toBeNull();
    });

    it('never exceed maxUses when several processes use them at once', async () => {
      const other = await otherProcess();
      await store.createEnrollmentSecret({ secretHash: sha('race'), label: 'race', expiresAt: null, maxUses: 3 });
      const uses = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).useEnrollmentSecret(sha('race'))));
      expect(uses.filter((u) => u !== null)).toHaveLength(3);
      expect((await store.listEnrollmentSecrets())[0]?.uses).toBe(3);
    });
  });

  describe('devices', () => {
    it('enroll a new machine with its normalised fingerprint', async () => {
      const result = await store.enrollDevice(
        enrollment({
          hostname: 'KIKAKU-NB07',
          platform: 'darwin',
          fingerprint: { systemUuid: '{4C4C4544-0042-3510-8052-B3C04F4B4E32}', serial: ' C02ZK1ABMD6M ', primaryMac: 'A4-83-E7-12-34-56' },
        }),
      );
      expect(result.reenrolled).toBe(false);
      expect(await store.getDevice(result.deviceId)).toEqual({
        id: result.deviceId,
        hostname: 'KIKAKU-NB07',
        platform: 'darwin',
        osName: null,
        osVersion: null,
        fingerprint: { systemUuid: '4c4c4544-0042-3510-8052-b3c04f4b4e32', serial: 'C02ZK1ABMD6M', primaryMac: 'a4:83:e7:12:34:56' },
        enrolledAt: clock.iso(),
        reenrolledAt: null,
        lastSeenAt: clock.iso(),
        softwareCount: 0,
        eventCount: 0,
      });
    });

    it('recognise a re-imaged PC by its system UUID: same id and history, new key', async () => {
      const first = enrollment({ fingerprint: { systemUuid: '4c4c4544-0042-3510-8052-b3c04f4b4e32' } });
      const { deviceId } = await store.enrollDevice(first);
      await store.applyInventory(deviceId, { software: softwareSection([EDGE]) });
      await store.insertEvents(deviceId, [event()]);
      clock.advance(30 * DAY);
      const again = await store.enrollDevice(
        enrollment({ hostname: 'SOUMU-PC014-NEW', keyHash: sha('new key'), fingerprint: { systemUuid: '4C4C4544-0042-3510-8052-B3C04F4B4E32', serial: null, primaryMac: null } }),
      );
      expect(again).toEqual({ deviceId, reenrolled: true });
      expect(await store.authenticateDevice(deviceId, first.keyHash)).toBeNull();
      expect(await store.authenticateDevice(deviceId, sha('new key'))).toEqual({ id: deviceId });
      const device = await store.getDevice(deviceId);
      expect(device).toMatchObject({ id: deviceId, hostname: 'SOUMU-PC014-NEW', reenrolledAt: clock.iso(), softwareCount: 1, eventCount: 1 });
      // What was known and not contradicted is kept.
      expect(device?.fingerprint).toEqual({ systemUuid: first.fingerprint.systemUuid, serial: first.fingerprint.serial, primaryMac: first.fingerprint.primaryMac });
      expect(await store.listChanges(deviceId)).toHaveLength(1);
      expect(await store.listDevices()).toHaveLength(1);
    });

    it('recognise a machine without a UUID by serial number and MAC', async () => {
      const { deviceId } = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: null, serial: 'PF3XK2LM', primaryMac: '00:1a:2b:3c:4d:5e' } }));
      const again = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: null, serial: 'PF3XK2LM', primaryMac: '00-1A-2B-3C-4D-5E' } }));
      expect(again).toEqual({ deviceId, reenrolled: true });
      // Learning the UUID later (agent now running as a service) is still the same machine.
      const withUuid = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: 'c8d1f3a0-5b6e-11ee-8c99-0242ac120002', serial: 'PF3XK2LM', primaryMac: '00:1a:2b:3c:4d:5e' } }));
      expect(withUuid).toEqual({ deviceId, reenrolled: true });
      expect((await store.getDevice(deviceId))?.fingerprint.systemUuid).toBe('c8d1f3a0-5b6e-11ee-8c99-0242ac120002');
    });

    it('keep machines apart whose UUIDs differ, even with the same serial and MAC', async () => {
      const a = await enroll({ fingerprint: { systemUuid: randomUUID(), serial: 'SAME', primaryMac: '00:1a:2b:3c:4d:5e' } });
      const b = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: randomUUID(), serial: 'SAME', primaryMac: '00:1a:2b:3c:4d:5e' } }));
      expect(b.reenrolled).toBe(false);
      expect(b.deviceId).not.toBe(a);
    });

    it('never merge machines on firmware placeholders or on no identity at all', async () => {
      const placeholder = { systemUuid: '03000200-0400-0500-0006-000700080009', serial: 'To Be Filled By O.E.M.', primaryMac: '00:00:00:00:00:00' };
      const a = await store.enrollDevice(enrollment({ fingerprint: placeholder }));
      const b = await store.enrollDevice(enrollment({ fingerprint: placeholder }));
      const c = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: null, serial: null, primaryMac: null } }));
      const d = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: null, serial: 'Default string', primaryMac: '3c:52:82:00:00:01' } }));
      const e = await store.enrollDevice(enrollment({ fingerprint: { systemUuid: null, serial: 'Default string', primaryMac: '3c:52:82:00:00:01' } }));
      expect(new Set([a, b, c, d, e].map((r) => r.deviceId)).size).toBe(5);
      expect([a, b, c, d, e].every((r) => !r.reenrolled)).toBe(true);
      expect((await store.getDevice(a.deviceId))?.fingerprint).toEqual({ systemUuid: null, serial: null, primaryMac: null });
    });

    it('make one device when one machine enrolls twice at once through two processes', async () => {
      const other = await otherProcess();
      const request = enrollment({ fingerprint: { systemUuid: 'b1e4c2d0-1111-4a4a-9b9b-0123456789ab' } });
      const results = await Promise.all([store.enrollDevice(request), other.enrollDevice(request), store.enrollDevice(request), other.enrollDevice(request)]);
      expect(new Set(results.map((r) => r.deviceId)).size).toBe(1);
      expect(results.filter((r) => !r.reenrolled)).toHaveLength(1);
      expect(await store.listDevices()).toHaveLength(1);
    });

    it('refuse a raw agent key and a malformed enrollment', async () => {
      await expect(store.enrollDevice(enrollment({ keyHash: 'the-agent-key-itself' }))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.enrollDevice(enrollment({ hostname: '   ' }))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.enrollDevice(enrollment({ platform: 'android' as never }))).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.listDevices()).toEqual([]);
    });

    it('authenticate only with the current key hash of the device', async () => {
      const request = enrollment();
      const { deviceId } = await store.enrollDevice(request);
      const other = await enroll();
      expect((await store.authenticateDevice(deviceId, request.keyHash))?.id).toBe(deviceId);
      expect(await store.authenticateDevice(deviceId, sha('wrong'))).toBeNull();
      expect(await store.authenticateDevice(other, request.keyHash)).toBeNull();
      expect(await store.authenticateDevice(randomUUID(), request.keyHash)).toBeNull();
      expect(await store.authenticateDevice("' OR 1=1 --", request.keyHash)).toBeNull();
      expect(await store.authenticateDevice(deviceId, request.keyHash.toUpperCase())).toBeNull();
    });

    it('move last-seen forward only', async () => {
      const deviceId = await enroll();
      const later = clock.advance(HOUR);
      await store.touchDevice(deviceId);
      expect((await store.getDevice(deviceId))?.lastSeenAt).toBe(later);
      // A collector process with a slow clock does not move it back.
      clock.advance(-10 * 60_000);
      await store.touchDevice(deviceId);
      expect((await store.getDevice(deviceId))?.lastSeenAt).toBe(later);
      await expect(store.touchDevice(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.touchDevice('not-an-id')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('are seen when they send an inventory or events, in the same commit, never backwards', async () => {
      const deviceId = await enroll();
      const inventoryAt = clock.advance(HOUR);
      await store.applyInventory(deviceId, {});
      expect((await store.getDevice(deviceId))?.lastSeenAt).toBe(inventoryAt);
      const eventsAt = clock.advance(HOUR);
      await store.insertEvents(deviceId, [{ id: randomUUID(), type: 'agent.started', occurredAt: eventsAt, osUser: null, payload: {} }]);
      expect((await store.getDevice(deviceId))?.lastSeenAt).toBe(eventsAt);
      clock.advance(-2 * HOUR);
      await store.insertEvents(deviceId, [{ id: randomUUID(), type: 'agent.started', occurredAt: eventsAt, osUser: null, payload: {} }]);
      await store.applyInventory(deviceId, {});
      expect((await store.getDevice(deviceId))?.lastSeenAt).toBe(eventsAt);
    });

    it('are listed by hostname with OS, last seen and counts of software and events', async () => {
      const b = await enroll({ hostname: 'B-PC', platform: 'linux' });
      const a = await enroll({ hostname: 'A-PC' });
      await store.applyInventory(a, { os: section(os('A-PC')), software: softwareSection([EDGE, ICHITARO, ACROBAT]) });
      await store.insertEvents(a, [event(), event('media.removed')]);
      clock.advance(HOUR);
      await store.touchDevice(b);
      const devices = await store.listDevices();
      expect(devices.map((d) => [d.hostname, d.platform, d.osName, d.osVersion, d.softwareCount, d.eventCount])).toEqual([
        ['A-PC', 'win32', 'Microsoft Windows 11 Pro', '23H2', 3, 2],
        ['B-PC', 'linux', null, null, 0, 0],
      ]);
      expect(devices[1]?.lastSeenAt).toBe(clock.iso());
      expect(await store.getDevice(randomUUID())).toBeNull();
    });
  });

  describe('inventory', () => {
    it('keeps the first upload as a baseline, not as installs', async () => {
      const deviceId = await enroll();
      expect(await store.getSectionHashes(deviceId)).toEqual({});
      const upload = { software: softwareSection([EDGE, ICHITARO]), memory: section(memory(16, ['BANK 0', 'BANK 2'])), os: section(os('SOUMU-PC014')) };
      const result = await store.applyInventory(deviceId, upload);
      const stored = { software: upload.software.hash, memory: upload.memory.hash, os: upload.os.hash };
      expect(result).toEqual({ applied: ['software', 'memory', 'os'], unchanged: [], ignored: [], refused: [], changes: 3, hashes: stored });
      expect(await store.getSectionHashes(deviceId)).toEqual(stored);
      const changes = await store.listChanges(deviceId);
      expect(changes.map((c) => [c.kind, c.section])).toEqual([
        ['section.added', 'os'],
        ['section.added', 'memory'],
        ['section.added', 'software'],
      ]);
      expect(changes.every((c) => c.changedAt === clock.iso() && c.deviceId === deviceId)).toBe(true);
      const inventory = await store.getInventory(deviceId);
      expect(inventory?.sections.memory).toEqual(upload.memory.data);
      expect(inventory?.sections.os).toEqual(upload.os.data);
      expect(inventory?.sections.software).toEqual([EDGE, ICHITARO].sort((x, y) => (x.id < y.id ? -1 : 1)));
      expect(inventory?.updatedAt.software).toBe(clock.iso());
      expect(await store.getInventory(randomUUID())).toBeNull();
    });

    it('records software installed, removed and updated, with times', async () => {
      const deviceId = await enroll();
      await store.applyInventory(deviceId, { software: softwareSection([EDGE, ICHITARO, ACROBAT]) });
      const then = clock.advance(DAY);
      const edge132 = { ...EDGE, version: '132.0.2957.115' };
      const moved = { ...ACROBAT, installPath: 'D:\\Apps\\Acrobat' };
      const result = await store.applyInventory(deviceId, { software: softwareSection([edge132, moved, SEVENZIP, TEAMS]) });
      expect(result.changes).toBe(4);
      const changes = (await store.listChanges(deviceId)).filter((c) => c.changedAt === then);
      expect(changes.map((c) => c.kind).sort()).toEqual(['software.installed', 'software.installed', 'software.removed', 'software.updated']);
      expect(changes).toContainEqual(
        expect.objectContaining({
          kind: 'software.updated',
          software: { id: EDGE.id, name: 'Microsoft Edge', version: '132.0.2957.115', publisher: 'Microsoft Corporation' },
          oldVersion: '131.0.2903.70',
          newVersion: '132.0.2957.115',
        }),
      );
      expect(changes).toContainEqual(
        expect.objectContaining({ kind: 'software.removed', software: { id: ICHITARO.id, name: '一太郎2024', version: '34.0.1', publisher: '株式会社ジャストシステム' } }),
      );
      expect(changes).toContainEqual(expect.objectContaining({ kind: 'software.installed', software: expect.objectContaining({ id: TEAMS.id, version: TEAMS.version }) }));
      // A path change is kept in the inventory but is not history.
      const inventory = await store.getInventory(deviceId);
      expect(inventory?.sections.software?.find((s) => s.id === ACROBAT.id)?.installPath).toBe('D:\\Apps\\Acrobat');
      expect(inventory?.sections.software?.map((s) => s.id).sort()).toEqual([EDGE.id, ACROBAT.id, SEVENZIP.id, TEAMS.id].sort());
      expect((await store.getDevice(deviceId))?.softwareCount).toBe(4);
    });

    describe('software changes (a few items instead of the whole list)', () => {
      /** A change from `before` to `after` as an agent sends it. */
      function change(before: SoftwareItem[], upsert: SoftwareItem[], remove: string[]) {
        const after = [...before.filter((i) => !remove.includes(i.id) && !upsert.some((u) => u.id === i.id)), ...upsert];
        return {
          after,
          software: { hash: hashSection('software', after), delta: { base: hashSection('software', before), upsert, upsertHashes: upsert.map(hashSoftwareItem), remove } },
        };
      }

      it('applies installs, updates and removals with the same history as a whole list', async () => {
        const deviceId = await enroll();
        const before = [EDGE, ICHITARO, ACROBAT];
        await store.applyInventory(deviceId, { software: softwareSection(before) });
        const then = clock.advance(DAY);
        const edge132 = { ...EDGE, version: '132.0.2957.115' };
        const moved = { ...ACROBAT, installPath: 'D:\\Apps\\Acrobat' };
        const { after, software } = change(before, [edge132, moved, SEVENZIP, TEAMS], [ICHITARO.id]);
        const result = await store.applyInventory(deviceId, { software });
        expect(result).toMatchObject({ applied: ['software'], refused: [], changes: 4, hashes: { software: software.hash } });
        const changes = (await store.listChanges(deviceId)).filter((c) => c.changedAt === then);
        expect(changes.map((c) => c.kind).sort()).toEqual(['software.installed', 'software.installed', 'software.removed', 'software.updated']);
        expect(changes).toContainEqual(expect.objectContaining({ kind: 'software.updated', oldVersion: '131.0.2903.70', newVersion: '132.0.2957.115' }));
        const inventory = await store.getInventory(deviceId);
        expect(inventory?.sections.software).toEqual([...after].sort((x, y) => (x.id < y.id ? -1 : 1)));
        expect(inventory?.hashes.software).toBe(hashSection('software', after));
        expect((await store.getDevice(deviceId))?.softwareCount).toBe(4);
        // The next change builds on this one.
        const next = change(after, [], [SEVENZIP.id]);
        expect((await store.applyInventory(deviceId, { software: next.software })).applied).toEqual(['software']);
        expect((await store.getDevice(deviceId))?.softwareCount).toBe(3);
      });

      it('refuses a change whose base is not the stored list, or whose result is not the hash sent, writing nothing', async () => {
        const deviceId = await enroll();
        await store.applyInventory(deviceId, { software: softwareSection([EDGE, ICHITARO]) });
        const before = { inventory: await store.getInventory(deviceId), changes: await store.listChanges(deviceId), device: await store.getDevice(deviceId) };
        const stale = change([EDGE], [TEAMS], []);
        const wrongResult = change([EDGE, ICHITARO], [TEAMS], []);
        wrongResult.software.hash = hashSection('software', [EDGE, TEAMS]);
        // An item whose hash is not the hash of what was sent (e.g. keys not in canonical order).
        const wrongItemHash = change([EDGE, ICHITARO], [TEAMS], []);
        wrongItemHash.software.delta.upsertHashes = [hashSoftwareItem({ ...TEAMS, version: 'other' })];
        for (const software of [stale.software, wrongResult.software, wrongItemHash.software]) {
          const result = await store.applyInventory(deviceId, { software });
          expect(result).toMatchObject({ applied: [], refused: ['software'], changes: 0, hashes: { software: hashSection('software', [EDGE, ICHITARO]) } });
        }
        expect(await store.getInventory(deviceId)).toEqual(before.inventory);
        expect(await store.listChanges(deviceId)).toEqual(before.changes);
        expect((await store.getDevice(deviceId))?.softwareCount).toBe(before.device?.softwareCount);
      });

      it('refuses a change when no list is stored yet (a new device, or a collector that lost its data)', async () => {
        const deviceId = await enroll();
        const { software } = change([EDGE], [TEAMS], []);
        expect((await store.applyInventory(deviceId, { software })).refused).toEqual(['software']);
        expect(await store.getSectionHashes(deviceId)).toEqual({});
      });

      it('asks for the whole list once for rows stored before item hashes existed, then takes changes again', async () => {
        const deviceId = await enroll();
        await store.applyInventory(deviceId, { software: softwareSection([EDGE, ICHITARO]) });
        await db.sql('UPDATE software_items SET item_hash = NULL');
        const first = change([EDGE, ICHITARO], [TEAMS], []);
        expect((await store.applyInventory(deviceId, { software: first.software })).refused).toEqual(['software']);
        // The whole list (what the agent sends next) fills the hashes in without history.
        const whole = await store.applyInventory(deviceId, { software: softwareSection(first.after) });
        expect(whole).toMatchObject({ applied: ['software'], changes: 1 });
        const second = change(first.after, [], [EDGE.id]);
        expect((await store.applyInventory(deviceId, { software: second.software })).applied).toEqual(['software']);
        expect((await store.getInventory(deviceId))?.sections.software?.map((s) => s.id).sort()).toEqual([ICHITARO.id, TEAMS.id].sort());
      });

      it('refuses a malformed change as invalid input', async () => {
        const deviceId = await enroll();
        await store.applyInventory(deviceId, { software: softwareSection([EDGE]) });
        const { software } = change([EDGE], [TEAMS], []);
        const bad = [
          { ...software, delta: { ...software.delta, upsertHashes: [] } },
          { ...software, delta: { ...software.delta, base: 'nope' } },
          { ...software, delta: { ...software.delta, remove: [TEAMS.id] } },
          { ...software, delta: { ...software.delta, upsertHashes: ['Z'.repeat(64)] } },
        ];
        for (const delta of bad) await expect(store.applyInventory(deviceId, { software: delta } as never)).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    it('does nothing for a section sent with the hash it already has', async () => {
      const deviceId = await enroll();
      const upload = { software: softwareSection([EDGE]), os: section(os('PC')) };
      await store.applyInventory(deviceId, upload);
      clock.advance(HOUR);
      const result = await store.applyInventory(deviceId, upload);
      expect(result).toEqual({ applied: [], unchanged: ['software', 'os'], ignored: [], refused: [], changes: 0, hashes: { software: upload.software.hash, os: upload.os.hash } });
      expect(await store.listChanges(deviceId)).toHaveLength(2);
      expect((await store.getInventory(deviceId))?.updatedAt.os).not.toBe(clock.iso());
    });

    it('answers with every section hash it holds for the device, also those not in the upload', async () => {
      const deviceId = await enroll();
      const first = { software: softwareSection([EDGE]), memory: section(memory(16, ['BANK 0'])) };
      await store.applyInventory(deviceId, first);
      const nextOs = section(os('PC'));
      const result = await store.applyInventory(deviceId, { os: nextOs });
      expect(result.hashes).toEqual({ software: first.software.hash, memory: first.memory.hash, os: nextOs.hash });
      expect(result.hashes).toEqual(await store.getSectionHashes(deviceId));
      expect((await store.applyInventory(deviceId, {})).hashes).toEqual(result.hashes);
    });

    it('records a hardware change with the fields that changed', async () => {
      const deviceId = await enroll();
      const before = memory(16, ['BANK 0', 'BANK 2']);
      await store.applyInventory(deviceId, { memory: section(before) });
      // A module added, and the OS lists the modules in another order: only the new one counts.
      const after = memory(24, ['BANK 2', 'BANK 0', 'BANK 1']);
      const biosBefore = { vendor: 'LENOVO', version: 'N32ET86W (1.62 )', releaseDate: '2023-08-01', revision: '1.62', serial: 'PF3XK2LM' };
      await store.applyInventory(deviceId, { bios: section(biosBefore) });
      await store.applyInventory(deviceId, { memory: section(after), bios: section({ ...biosBefore, version: 'N32ET91W (1.67 )' }) });
      const [biosChange, change] = await store.listChanges(deviceId, { limit: 2 });
      expect(biosChange).toMatchObject({ section: 'bios', fields: [{ path: 'version', change: 'changed', before: 'N32ET86W (1.62 )', after: 'N32ET91W (1.67 )' }] });
      expect(change).toMatchObject({ kind: 'section.changed', section: 'memory', oldHash: canonicalHash(before), newHash: canonicalHash(after), omittedFields: 0 });
      if (change?.kind !== 'section.changed') throw new Error('expected a section change');
      expect(change.fields).toEqual([
        { path: 'modules[BANK 1]', change: 'added', before: null, after: expect.objectContaining({ bank: 'BANK 1', sizeBytes: 8 * 1024 ** 3 }) },
        { path: 'totalBytes', change: 'changed', before: 16 * 1024 ** 3, after: 24 * 1024 ** 3 },
      ]);
    });

    it('never stores running processes as inventory', async () => {
      const deviceId = await enroll();
      const processes = section([{ pid: 4242, ppid: 1, name: 'chrome.exe', path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', user: 'yamada.taro', startedAt: null }]);
      const result = await store.applyInventory(deviceId, { processes, os: section(os('PC')) });
      expect(result).toMatchObject({ applied: ['os'], ignored: ['processes'] });
      expect(Object.keys(await store.getSectionHashes(deviceId))).toEqual(['os']);
      expect((await store.getInventory(deviceId))?.sections.processes).toBeUndefined();
    });

    it('takes host name and OS of the device from the os section', async () => {
      const deviceId = await enroll({ hostname: 'DESKTOP-8F3K2LQ' });
      await store.applyInventory(deviceId, { os: section(os('ZEIMU-PC031', 'Microsoft Windows 11 Enterprise', '24H2')) });
      expect(await store.getDevice(deviceId)).toMatchObject({ hostname: 'ZEIMU-PC031', osName: 'Microsoft Windows 11 Enterprise', osVersion: '24H2' });
    });

    it('keeps hostile text: Japanese names intact, NUL and broken surrogates replaced on every back end', async () => {
      const deviceId = await enroll();
      const hostile = [
        software('registry-hkcu:弥生会計 24', '弥生会計 24 (ｶﾝﾀﾝ)', '30.1.2', { publisher: '弥生株式会社', scope: 'user', source: 'registry-hkcu' }),
        software('registry-hklm:bad\u0000name', 'Broken\u0000Name', '1.0\u0000', { publisher: 'half \uD83D surrogate' }),
      ];
      const upload = softwareSection(hostile);
      await store.applyInventory(deviceId, { software: upload, os: section({ ...os('PC'), name: 'Windows\u0000 11', serial: '\uDC00lone' }) });
      const inventory = await store.getInventory(deviceId);
      const names = inventory?.sections.software?.map((s) => s.name).sort();
      expect(names).toEqual(['Broken\uFFFDName', '弥生会計 24 (ｶﾝﾀﾝ)'].sort());
      expect(inventory?.sections.software?.find((s) => s.name.startsWith('Broken'))).toMatchObject({
        id: 'registry-hklm:bad\uFFFDname',
        version: '1.0\uFFFD',
        publisher: 'half \uFFFD surrogate',
      });
      expect(inventory?.sections.os).toMatchObject({ name: 'Windows\uFFFD 11', serial: '\uFFFDlone' });
      // The agent's hash is kept as sent, so the next identical upload is recognised.
      expect((await store.applyInventory(deviceId, { software: upload })).unchanged).toEqual(['software']);
    });

    it('stores nothing of an upload that fails part-way', async () => {
      const deviceId = await enroll();
      const bad = { ...EDGE, id: 'registry-hklm:broken', name: null } as unknown as SoftwareItem;
      await expect(store.applyInventory(deviceId, { os: section(os('PC')), software: softwareSection([ICHITARO, bad]) })).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.getSectionHashes(deviceId)).toEqual({});
      expect(await store.listChanges(deviceId)).toEqual([]);
      expect((await store.getDevice(deviceId))?.osName).toBeNull();
    });

    it('refuses uploads for unknown devices, unknown sections and malformed hashes', async () => {
      const deviceId = await enroll();
      await expect(store.applyInventory(randomUUID(), { os: section(os('PC')) })).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.applyInventory(deviceId, { registry: section({}) } as never)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.applyInventory(deviceId, { os: { hash: 'abc', data: os('PC') } })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.applyInventory(deviceId, { software: softwareSection({ not: 'a list' }) } as never)).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.getSectionHashes(deviceId)).toEqual({});
    });

    it("apply an agent's upload only under the device's current key, writing nothing otherwise", async () => {
      const keyHash = sha('agent key');
      const deviceId = (await store.enrollDevice(enrollment({ keyHash }))).deviceId;
      const seen = (await store.getDevice(deviceId))?.lastSeenAt ?? null;
      clock.advance(HOUR);
      for (const wrong of [sha('another key'), keyHash.toUpperCase(), 'not a hash', '']) {
        await expect(store.applyInventory(deviceId, { os: section(os('PC')) }, { keyHash: wrong })).rejects.toBeInstanceOf(NotFoundError);
      }
      await expect(store.applyInventory(randomUUID(), { os: section(os('PC')) }, { keyHash })).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.getSectionHashes(deviceId)).toEqual({});
      expect((await store.getDevice(deviceId))?.lastSeenAt ?? null).toBe(seen);
      expect(await store.listChanges(deviceId)).toEqual([]);
      const upload = { os: section(os('PC')) };
      expect((await store.applyInventory(deviceId, upload, { keyHash })).applied).toEqual(['os']);
      expect(await store.getSectionHashes(deviceId)).toEqual({ os: upload.os.hash });
      expect((await store.getDevice(deviceId))?.lastSeenAt).toBe(clock.iso());
    });

    it('pages through the change history, newest first', async () => {
      const deviceId = await enroll();
      let items: SoftwareItem[] = [];
      await store.applyInventory(deviceId, { software: softwareSection(items) });
      for (let i = 0; i < 7; i += 1) {
        clock.advance(HOUR);
        items = [...items, software(`dpkg:tool-${i}:amd64`, `tool-${i}`, `1.${i}`, { source: 'dpkg', packageName: `tool-${i}` })];
        await store.applyInventory(deviceId, { software: softwareSection(items) });
      }
      const first = await store.listChanges(deviceId, { limit: 3 });
      const second = await store.listChanges(deviceId, { limit: 3, beforeId: first.at(-1)!.id });
      const rest = await store.listChanges(deviceId, { limit: 100, beforeId: second.at(-1)!.id });
      const all = [...first, ...second, ...rest];
      expect(all).toHaveLength(8);
      expect(all.map((c) => c.changedAt)).toEqual([...all.map((c) => c.changedAt)].sort().reverse());
      expect(new Set(all.map((c) => c.id)).size).toBe(8);
      expect(all[0]).toMatchObject({ kind: 'software.installed', software: { name: 'tool-6' } });
      expect(await store.listChanges(randomUUID())).toEqual([]);
    });

    it('records each change once when the same upload arrives twice at once through two processes', async () => {
      const other = await otherProcess();
      const deviceId = await enroll();
      await store.applyInventory(deviceId, { software: softwareSection([EDGE]) });
      const items = [EDGE];
      for (let round = 0; round < 5; round += 1) {
        items.push(software(`dpkg:pkg-${round}:amd64`, `pkg-${round}`, '1.0', { source: 'dpkg' }));
        const update = { software: softwareSection([...items]), memory: section(memory(8 * (round + 1), ['BANK 0'])) };
        const results = await Promise.all([store.applyInventory(deviceId, update), other.applyInventory(deviceId, update)]);
        expect(results.map((r) => r.changes).sort()).toEqual([0, 2]);
      }
      const changes = await store.listChanges(deviceId, { limit: 1000 });
      expect(changes.filter((c) => c.kind === 'software.installed')).toHaveLength(5);
      expect(changes.filter((c) => c.section === 'memory')).toHaveLength(5);
    });

    it('keeps history that replays to the stored inventory under concurrent different uploads', async () => {
      const other = await otherProcess();
      const deviceId = await enroll();
      const baseline = [EDGE, ICHITARO];
      await store.applyInventory(deviceId, { software: softwareSection(baseline) });
      const variants = [[EDGE, ACROBAT], [ICHITARO, SEVENZIP], [TEAMS], [EDGE, ICHITARO, SEVENZIP, TEAMS], [ACROBAT]];
      for (let round = 0; round < 3; round += 1) {
        await Promise.all(variants.map((items, i) => (i % 2 ? store : other).applyInventory(deviceId, { software: softwareSection(items) })));
      }
      const stored = (await store.getInventory(deviceId))?.sections.software?.map((s) => s.id) ?? [];
      const history = await store.listChanges(deviceId, { limit: 1000 });
      expect(replaySoftware(baseline.map((s) => s.id), history)).toEqual(new Set(stored));
      expect((await store.getDevice(deviceId))?.softwareCount).toBe(stored.length);
    });
  });

  describe('events', () => {
    it('are stored once: a resent batch is acknowledged as duplicate', async () => {
      const deviceId = await enroll();
      const batch = [event('media.inserted', { vendorId: '0781', productId: '5583', serial: '4C530001230814118262', label: 'ＵＳＢメモリ' }), event('agent.started')];
      expect(await store.insertEvents(deviceId, batch)).toEqual({ accepted: batch.map((e) => e.id), duplicate: [], rejected: [] });
      const more = event('media.removed');
      expect(await store.insertEvents(deviceId, [...batch, more])).toEqual({ accepted: [more.id], duplicate: batch.map((e) => e.id), rejected: [] });
      expect((await store.getDevice(deviceId))?.eventCount).toBe(3);
      expect(await store.listEvents({ deviceId })).toHaveLength(3);
    });

    it('reject ids another device already used, and store nothing for them', async () => {
      const mine = await enroll();
      const theirs = await enroll();
      const taken = event('media.blocked', { reason: 'unregistered' });
      await store.insertEvents(theirs, [taken]);
      const fresh = event('media.inserted');
      const copy = { ...taken, payload: { forged: true } };
      expect(await store.insertEvents(mine, [copy, fresh])).toEqual({ accepted: [fresh.id], duplicate: [], rejected: [taken.id] });
      expect((await store.listEvents({ deviceId: mine })).map((e) => e.id)).toEqual([fresh.id]);
      expect((await store.listEvents({ deviceId: theirs }))[0]?.payload).toEqual({ reason: 'unregistered' });
      expect((await store.getDevice(mine))?.eventCount).toBe(1);
    });

    it('count an id repeated within one batch once', async () => {
      const deviceId = await enroll();
      const e = event();
      expect(await store.insertEvents(deviceId, [e, { ...e }, e])).toEqual({ accepted: [e.id], duplicate: [], rejected: [] });
      expect((await store.getDevice(deviceId))?.eventCount).toBe(1);
    });

    it('come back as sent, with device and receive time', async () => {
      const deviceId = await enroll();
      const sent = event('media.file_written', {
        path: 'E:\\総務課\\令和6年度 予算案.xlsx',
        size: 48213,
        sha256: sha('file'),
        nested: { list: [1, 2.5, null, true, 'ｶﾅ'], empty: {} },
      });
      // Times come back in one form (milliseconds, Z) whatever precision the agent sent.
      const second = event('media.blocked', { reason: 'unregistered', ledgerNumber: null, 'キー': 'ｶﾅ値' });
      await store.insertEvents(deviceId, [{ ...sent, occurredAt: '2026-11-01T23:59:58Z' }, second]);
      const stored = await store.listEvents({ deviceId });
      expect(stored).toEqual([
        { ...sent, occurredAt: '2026-11-01T23:59:58.000Z', deviceId, receivedAt: clock.iso() },
        { ...second, deviceId, receivedAt: clock.iso() },
      ]);
      // One event alone takes another path to the database than a batch: same result.
      const alone = event('agent.error', { message: 'タイムアウト', code: 7 });
      await store.insertEvents(deviceId, [alone]);
      expect((await store.listEvents({ deviceId, type: 'agent.error' }))[0]).toEqual({ ...alone, deviceId, receivedAt: clock.iso() });
    });

    it('are filtered by device and type, newest first, and paged without gaps or repeats', async () => {
      const a = await enroll();
      const b = await enroll();
      const same = '2026-11-02T08:00:00.000Z';
      const aEvents = [...Array.from({ length: 7 }, () => event('media.inserted')), ...Array.from({ length: 4 }, () => ({ ...event('software.detected'), occurredAt: same }))];
      await store.insertEvents(a, aEvents);
      await store.insertEvents(b, [event('media.inserted'), event('agent.error', { message: 'timeout' })]);
      expect(await store.listEvents({ deviceId: b, type: 'agent.error' })).toHaveLength(1);
      expect((await store.listEvents({ type: 'media.inserted' })).map((e) => e.deviceId).filter((d) => d === b)).toHaveLength(1);
      const pages: string[] = [];
      let before: { occurredAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.listEvents({ deviceId: a, limit: 3, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        pages.push(...page.map((e) => e.id));
        const last = page.at(-1)!;
        before = { occurredAt: last.occurredAt, id: last.id };
      }
      const expected = [...aEvents].sort((x, y) => (x.occurredAt === y.occurredAt ? (x.id < y.id ? 1 : -1) : x.occurredAt < y.occurredAt ? 1 : -1)).map((e) => e.id);
      expect(pages).toEqual(expected);
      expect(await store.listEvents({ limit: 0 })).toHaveLength(1);
    });

    it('are refused for unknown devices and when malformed, storing nothing', async () => {
      const deviceId = await enroll();
      await expect(store.insertEvents(randomUUID(), [event()])).rejects.toBeInstanceOf(NotFoundError);
      const bad = { ...event(), id: 'not-a-uuid' };
      await expect(store.insertEvents(deviceId, [event(), bad])).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.listEvents({})).toEqual([]);
      expect(await store.insertEvents(deviceId, [])).toEqual({ accepted: [], duplicate: [], rejected: [] });
    });

    it('are stored once when the same batch arrives twice at once through two processes', async () => {
      const other = await otherProcess();
      const deviceId = await enroll();
      const batch = Array.from({ length: 50 }, () => event('media.file_written', { size: 1 }));
      const reversed = [...batch].reverse();
      const results = await Promise.all([store.insertEvents(deviceId, batch), other.insertEvents(deviceId, reversed), store.insertEvents(deviceId, batch.slice(10, 30))]);
      const accepted = results.flatMap((r) => r.accepted);
      expect(accepted.sort()).toEqual(batch.map((e) => e.id).sort());
      expect(results.flatMap((r) => r.rejected)).toEqual([]);
      expect((await store.getDevice(deviceId))?.eventCount).toBe(50);
      expect(await store.listEvents({ deviceId, limit: 1000 })).toHaveLength(50);
    });
  });

  describe('policy', () => {
    const policy = (version: number, scope = 'default') => ({
      scope,
      version,
      document: JSON.stringify({ version, media: { mode: 'block' }, language: 'ja' }),
      signature: Buffer.from(`sig-${version}`).toString('base64'),
      keyId: '3f2a9c1d0b7e4a55',
      etag: `"${scope}-${version}"`,
    });

    it('keeps versions that only go up; the current one is the newest', async () => {
      expect(await store.getCurrentPolicy()).toBeNull();
      await store.savePolicy(policy(1));
      clock.advance(HOUR);
      await store.savePolicy(policy(3));
      expect(await store.getCurrentPolicy()).toEqual({ ...policy(3), createdAt: clock.iso() });
      await expect(store.savePolicy(policy(3))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.savePolicy(policy(2))).rejects.toBeInstanceOf(ConflictError);
      await store.savePolicy(policy(1, 'kiosk'));
      expect((await store.getCurrentPolicy('default'))?.version).toBe(3);
      expect((await store.getCurrentPolicy('kiosk'))?.version).toBe(1);
      await expect(store.savePolicy(policy(0))).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('lets exactly one of two processes publish the same next version', async () => {
      const other = await otherProcess();
      await store.savePolicy(policy(1));
      const results = await Promise.allSettled([store.savePolicy(policy(2)), other.savePolicy({ ...policy(2), signature: 'b3RoZXI=' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failure = results.find((r) => r.status === 'rejected');
      expect(failure?.status === 'rejected' && failure.reason).toBeInstanceOf(ConflictError);
    });
  });

  describe('collector settings', () => {
    it('are created once and then only read', async () => {
      expect(await store.getSetting('policy.signingKey')).toBeNull();
      let calls = 0;
      const make = () => {
        calls += 1;
        return JSON.stringify({ publicKeyPem: `pub-${calls}`, privateKeyPem: `priv-${calls}` });
      };
      const first = await store.getOrCreateSetting('policy.signingKey', make);
      expect(await store.getOrCreateSetting('policy.signingKey', make)).toBe(first);
      expect(calls).toBe(1);
      expect(await store.getSetting('policy.signingKey')).toBe(first);
    });

    it('give every process the same value when they create it at once', async () => {
      const stores = [store, db.open(), db.open()];
      const values = await Promise.all(stores.map((s, i) => s.getOrCreateSetting('policy.signingKey', async () => `key-from-process-${i}`)));
      expect(new Set(values).size).toBe(1);
      expect(values[0]).toMatch(/^key-from-process-\d$/);
    });
  });

  describe('approval requests', () => {
    const mediaRequest = (deviceId: string, id?: string) => ({
      ...(id ? { id } : {}),
      deviceId,
      kind: 'media' as const,
      subject: { vendorId: '0781', productId: '5583', serial: '4C530001230814118262', product: 'Ultra Fit' },
      reason: '会議資料を持ち出すため',
      requestedBy: 'yamada.taro',
      period: { from: '2026-11-02T09:00:00+09:00', until: '2026-11-06T18:00:00+09:00' },
    });

    it('are filed pending, and found by id and by device', async () => {
      const deviceId = await enroll();
      const otherDevice = await enroll();
      const created = await store.createApprovalRequest(mediaRequest(deviceId));
      expect(created).toMatchObject({
        deviceId,
        kind: 'media',
        status: 'pending',
        reason: '会議資料を持ち出すため',
        period: { from: '2026-11-02T00:00:00.000Z', until: '2026-11-06T09:00:00.000Z' },
        createdAt: clock.iso(),
        decidedBy: null,
        decidedAt: null,
        comment: null,
      });
      expect(await store.getApprovalRequest(created.id)).toEqual(created);
      await store.createApprovalRequest({ ...mediaRequest(otherDevice), kind: 'software', subject: { name: 'Zoom Workplace' }, period: null });
      expect((await store.listApprovalRequests({ deviceId })).map((r) => r.id)).toEqual([created.id]);
      expect(await store.listApprovalRequests({ status: 'pending' })).toHaveLength(2);
      expect(await store.getApprovalRequest(randomUUID())).toBeNull();
    });

    it('are filed once when the agent retries with its own id; another device cannot take the id', async () => {
      const deviceId = await enroll();
      const otherDevice = await enroll();
      const id = randomUUID();
      const first = await store.createApprovalRequest(mediaRequest(deviceId, id));
      clock.advance(60_000);
      expect(await store.createApprovalRequest({ ...mediaRequest(deviceId, id), reason: 'changed' })).toEqual(first);
      await expect(store.createApprovalRequest(mediaRequest(otherDevice, id))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.createApprovalRequest(mediaRequest(randomUUID()))).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.createApprovalRequest({ ...mediaRequest(deviceId), period: { from: '2026-11-06T00:00:00Z', until: '2026-11-01T00:00:00Z' } })).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.listApprovalRequests({})).toHaveLength(1);
    });

    it('are decided once: a second decision is a conflict', async () => {
      const deviceId = await enroll();
      const { id } = await store.createApprovalRequest(mediaRequest(deviceId));
      clock.advance(HOUR);
      const approved = await store.decideApprovalRequest(id, 'approved', 'kanri.suzuki', '11/6まで許可');
      expect(approved).toMatchObject({ status: 'approved', decidedBy: 'kanri.suzuki', decidedAt: clock.iso(), comment: '11/6まで許可' });
      await expect(store.decideApprovalRequest(id, 'rejected', 'other', null)).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getApprovalRequest(id))?.status).toBe('approved');
      await expect(store.decideApprovalRequest(randomUUID(), 'approved', 'x', null)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.decideApprovalRequest(id, 'pending' as never, 'x', null)).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.listApprovalRequests({ status: 'approved' })).toHaveLength(1);
    });

    it('are decided by exactly one of two admins deciding at once', async () => {
      const other = await otherProcess();
      const deviceId = await enroll();
      const { id } = await store.createApprovalRequest(mediaRequest(deviceId));
      const results = await Promise.allSettled([
        store.decideApprovalRequest(id, 'approved', 'admin-a', null),
        other.decideApprovalRequest(id, 'rejected', 'admin-b', null),
      ]);
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      const decided = await store.getApprovalRequest(id);
      expect(decided?.status).toBe(winners[0]?.status === 'fulfilled' ? winners[0].value.status : 'none');
    });
  });

  describe('audit log', () => {
    it('appends entries and lists them newest first, page by page', async () => {
      const first = await store.appendAudit({ actor: 'admin', action: 'enroll-secret.create', target: null, details: { label: '本庁舎' } });
      expect(first).toMatchObject({ at: clock.iso(), actor: 'admin', details: { label: '本庁舎' } });
      const ids = [first.id];
      for (let i = 0; i < 4; i += 1) {
        clock.advance(60_000);
        ids.push((await store.appendAudit({ actor: 'kanri.suzuki', action: 'request.approve', target: randomUUID(), details: { i } })).id);
      }
      const page = await store.listAudit({ limit: 2 });
      expect(page.map((e) => e.id)).toEqual(ids.slice(-2).reverse());
      const rest = await store.listAudit({ beforeId: page.at(-1)!.id });
      expect(rest.map((e) => e.id)).toEqual(ids.slice(0, 3).reverse());
      expect(rest.at(-1)).toEqual(first);
      await expect(store.appendAudit({ actor: '', action: 'x', target: null, details: {} })).rejects.toBeInstanceOf(InvalidInputError);
    });
  });

  describe('resendable transactions', () => {
    it('commit like any other; on PostgreSQL without waiting for the WAL flush, and only for themselves', async () => {
      const driver = db.driver();
      const setting = () => driver.one<{ synchronous_commit: string }>('SHOW synchronous_commit');
      await driver.exec('CREATE TABLE resend_probe (id INTEGER PRIMARY KEY)');
      const inside = await driver.transaction(async (tx) => {
        await tx.run('INSERT INTO resend_probe (id) VALUES (?)', [1]);
        return backend.name === 'postgres' ? (await tx.one<{ synchronous_commit: string }>('SHOW synchronous_commit'))?.synchronous_commit : null;
      }, { resendable: true });
      expect(await driver.all('SELECT id FROM resend_probe')).toEqual([{ id: 1 }]);
      if (backend.name === 'postgres') {
        expect(inside).toBe('off');
        // SET LOCAL: the pooled connection goes back to durable commits.
        for (let i = 0; i < 5; i++) expect((await setting())?.synchronous_commit).toBe('on');
      }
    });
  });

  describe('closing', () => {
    it('refuses work afterwards as unavailable, and may be repeated', async () => {
      const other = db.open();
      await other.listDevices();
      await other.close();
      await other.close();
      await expect(other.listDevices()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(other.insertEvents(randomUUID(), [event()])).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.listDevices()).toEqual([]);
    });
  });

  describe('errors', () => {
    it('are typed and never carry SQL or stored values in their message', async () => {
      await store.createAdmin('dup', 'secret-hash-value', 'admin');
      const error = await store.createAdmin('dup', 'secret-hash-value', 'admin').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).not.toMatch(/INSERT|SELECT|admins|secret-hash-value|dup/i);
    });
  });
});

describe('openStore', () => {
  it('opens SQLite for a file path and PostgreSQL for a postgres:// URL', async () => {
    expect(isPostgresUrl('postgres://postgres@127.0.0.1:5432/test')).toBe(true);
    expect(isPostgresUrl('postgresql://db.example/mamori')).toBe(true);
    expect(isPostgresUrl('/var/lib/mamori/collector.db')).toBe(false);
    expect(isPostgresUrl('C:\\ProgramData\\Mamori\\collector.db')).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'mamori-open-'));
    try {
      const fromPath = openStore(join(dir, 'a.db'));
      const fromObject = openStore({ sqliteFile: join(dir, 'b.db') });
      expect([fromPath.backend, fromObject.backend]).toEqual(['sqlite', 'sqlite']);
      expect((await fromPath.migrate()).version).toBe(3);
      await Promise.all([fromPath.close(), fromObject.close()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a database it cannot reach or create as unavailable', async () => {
    const unreachable = openStore('postgres://postgres@127.0.0.1:1/test');
    try {
      await expect(unreachable.migrate()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await unreachable.close();
    }
    expect(() => openStore('/proc/mamori-cannot-be-here/collector.db')).toThrow(StoreUnavailableError);
  });

  it.skipIf(pgUnavailable !== null && !PG_REQUIRED)('uses the schema named in the URL', async () => {
    const schema = `mamori_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    const store = openStore(url.toString());
    try {
      expect(store.backend).toBe('postgres');
      await store.migrate();
      const tables = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
      expect(tables.rows[0]?.n).toBeGreaterThanOrEqual(12);
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});
