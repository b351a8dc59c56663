// Where one request's time goes inside the collector, step by step, on both back ends:
//   npx tsx bench/collector-steps.ts [--agents 300] [--backend sqlite|postgres|both]
// Replays the steps of the agent routes (src/collector/routes/agent/index.ts) in process, one
// request at a time (no concurrency, so each step's cost is its own), with the fleet's payloads
// (bench/collector-agent.ts), and wraps the SQL driver to time every statement and what BEGIN /
// COMMIT cost. A diagnostic companion of bench/collector.ts; it records nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import type { AgentEvent } from '../src/shared/events.js';
import { SECTIONS, hashSection, type SectionName } from '../src/shared/inventory/index.js';
import { EventBatch, InventoryUpload } from '../src/shared/protocol/agent-api.js';
import { hashSecret, newAgentKey } from '../src/collector/auth/agent-keys.js';
import { checkSectionHash, hashSoftwareItemsQuick } from '../src/collector/inventory/hash.js';
import { parseWith } from '../src/collector/http/errors.js';
import { PostgresDriver } from '../src/collector/store/postgres/driver.js';
import { POSTGRES_BOOTSTRAP, POSTGRES_MIGRATIONS } from '../src/collector/store/postgres/migrations.js';
import { SqlStore } from '../src/collector/store/sql/sql-store.js';
import { type InsertOptions, type InsertSpec, type Row, type SqlDriver, type SqlExecutor, type SqlValue, type TransactionOptions } from '../src/collector/store/sql/driver.js';
import { SqliteDriver } from '../src/collector/store/sqlite/driver.js';
import { SQLITE_BOOTSTRAP, SQLITE_MIGRATIONS } from '../src/collector/store/sqlite/migrations.js';
import type { InventoryUpload as StoreUpload } from '../src/collector/store/index.js';
import { UPLOADED_SECTIONS, deltaUpload, eventBatch, fullUpload, hashesOf, inventoryOf, profileOf, type DeltaKind } from './collector-agent.js';
import { round } from './lib.js';

const argv = process.argv.slice(2);
const valueOf = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const AGENTS = Number(valueOf('--agents') ?? 300);
const WARMUP = Math.min(30, Math.floor(AGENTS / 5));
const backendArg = valueOf('--backend') ?? 'both';
const backends = backendArg === 'both' ? (['sqlite', 'postgres'] as const) : ([backendArg] as ('sqlite' | 'postgres')[]);
const PG_URL = 'postgres://root@127.0.0.1:5432/test';
const valuesOf = (name: string) => argv.flatMap((a, i) => (a === name && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
/** Events stored (untimed) before the event phase, so that its indexes have a fleet's size. */
const PREFILL_EVENTS = Number(valueOf('--prefill-events') ?? 0);
/** Experiments on the SQLite connection: extra PRAGMAs, indexes dropped. */
const SQLITE_PRAGMAS = valuesOf('--sqlite-pragma');
const SQLITE_DROP_INDEXES = valuesOf('--sqlite-drop-index');
/** Only these phases (inventory, events); default both. */
const ONLY = valueOf('--only');
/** Experiment: time-ordered UUIDv7 event ids instead of the agent's random v4. */
const EVENT_IDS_V7 = valueOf('--event-ids') === 'v7';

let lastV7 = 0;
/** A UUIDv7: 48 bits of Unix ms first, so ids made later sort later. */
function uuidv7(): string {
  lastV7 = Math.max(lastV7 + 1, Date.now());
  const hex = lastV7.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  const h = hex.split('');
  h[12] = '7';
  h[16] = '89ab'[parseInt(h[16]!, 16) % 4]!;
  const t = h.join('');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20, 32)}`;
}

function batchOf(index: number, batchNo: number): AgentEvent[] {
  const events = eventBatch(profileOf(index), 50, batchNo).events;
  return EVENT_IDS_V7 ? events.map((e) => ({ ...e, id: uuidv7() })) : events;
}

/** Bytes this process has written (to files and sockets), from /proc/self/io. */
function writtenBytes(): number {
  const match = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return match ? Number(match[1]) : 0;
}

const cpuMsNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Accumulated wall and CPU ms per label, and how many times it ran. CPU is this process's (for
 * PostgreSQL statements the server's work is only in the wall time); on a busy shared machine
 * wall time also holds waiting for a CPU, so CPU is the steadier figure.
 */
class Timings {
  readonly ms = new Map<string, number>();
  readonly cpu = new Map<string, number>();
  readonly calls = new Map<string, number>();
  enabled = true;

  add(label: string, ms: number, cpuMs: number): void {
    if (!this.enabled) return;
    this.ms.set(label, (this.ms.get(label) ?? 0) + ms);
    this.cpu.set(label, (this.cpu.get(label) ?? 0) + cpuMs);
    this.calls.set(label, (this.calls.get(label) ?? 0) + 1);
  }

  time<T>(label: string, work: () => T): T {
    const t0 = performance.now();
    const c0 = cpuMsNow();
    try {
      return work();
    } finally {
      this.add(label, performance.now() - t0, cpuMsNow() - c0);
    }
  }

  async timeAsync<T>(label: string, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const c0 = cpuMsNow();
    try {
      return await work();
    } finally {
      this.add(label, performance.now() - t0, cpuMsNow() - c0);
    }
  }

  reset(): void {
    this.ms.clear();
    this.cpu.clear();
    this.calls.clear();
  }

  report(title: string, requests: number): string {
    const rows = [...this.ms.entries()].sort((a, b) => b[1] - a[1]);
    const f = (v: number) => String(round(v / requests, 3)).padStart(7);
    return [
      title,
      '   wall ms    CPU ms  calls   (per request)',
      ...rows.map(([label, ms]) => `  ${f(ms)}   ${f(this.cpu.get(label) ?? 0)}  ${String(round((this.calls.get(label) ?? 0) / requests, 1)).padStart(5)}   ${label}`),
    ].join('\n');
  }
}

/** The statement's shape: its first words, without the values. */
function statementLabel(sql: string): string {
  return `SQL ${sql.replace(/\s+/g, ' ').replace(/\(\?(, \?)*\)/g, '(…)').replace(/IN \([^)]*\)/g, 'IN (…)').slice(0, 110)}`;
}

/** A driver that times every statement and the transaction overhead (BEGIN, COMMIT, waiting for the lock). */
class TimedDriver implements SqlDriver {
  constructor(
    private readonly inner: SqlDriver,
    private readonly timings: Timings,
  ) {}

  get dialect() {
    return this.inner.dialect;
  }

  private wrap(target: SqlExecutor): SqlExecutor {
    const t = this.timings;
    return {
      dialect: target.dialect,
      all: <R = Row>(sql: string, params?: readonly SqlValue[]) => t.timeAsync(statementLabel(sql), () => target.all<R>(sql, params)),
      one: <R = Row>(sql: string, params?: readonly SqlValue[]) => t.timeAsync(statementLabel(sql), () => target.one<R>(sql, params)),
      run: (sql: string, params?: readonly SqlValue[]) => t.timeAsync(statementLabel(sql), () => target.run(sql, params)),
      exec: (script: string) => target.exec(script),
      insert: <R = Row>(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], options?: InsertOptions) =>
        t.timeAsync(`SQL INSERT INTO ${table} (${rows.length > 1 ? 'many rows' : rows.length === 1 ? 'one row' : 'no rows'})${options?.conflict ? ' ON CONFLICT' : ''}`, () => target.insert<R>(table, columns, rows, options)),
      insertAll: (inserts: readonly InsertSpec[]) =>
        t.timeAsync(`SQL INSERT INTO ${inserts.map((i) => `${i.table} (${i.rows.length})`).join(' + ')} (one statement on PostgreSQL)`, () => target.insertAll(inserts)),
      lock: (purpose) => t.timeAsync(`SQL lock ${purpose}`, () => target.lock(purpose)),
    };
  }

  all<R = Row>(sql: string, params?: readonly SqlValue[]) {
    return this.wrap(this.inner).all<R>(sql, params);
  }

  one<R = Row>(sql: string, params?: readonly SqlValue[]) {
    return this.wrap(this.inner).one<R>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]) {
    return this.wrap(this.inner).run(sql, params);
  }

  exec(script: string) {
    return this.inner.exec(script);
  }

  insert<R = Row>(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], options?: InsertOptions) {
    return this.wrap(this.inner).insert<R>(table, columns, rows, options);
  }

  insertAll(inserts: readonly InsertSpec[]) {
    return this.wrap(this.inner).insertAll(inserts);
  }

  lock(): Promise<void> {
    return Promise.resolve();
  }

  async transaction<T>(body: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    let bodyMs = 0;
    let bodyCpu = 0;
    const t0 = performance.now();
    const c0 = cpuMsNow();
    const result = await this.inner.transaction(async (tx) => {
      const b0 = performance.now();
      const bc0 = cpuMsNow();
      try {
        return await body(this.wrap(tx));
      } finally {
        bodyMs += performance.now() - b0;
        bodyCpu += cpuMsNow() - bc0;
      }
    }, options);
    this.timings.add('transaction overhead (BEGIN, COMMIT incl. WAL write / checkpoint, pool)', performance.now() - t0 - bodyMs, cpuMsNow() - c0 - bodyCpu);
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Agent {
  id: string;
  key: string;
  full: Buffer;
  delta: Buffer;
  deltaKind: DeltaKind;
  events: Buffer;
}

async function measure(backend: 'sqlite' | 'postgres'): Promise<void> {
  const timings = new Timings();
  const work = mkdtempSync(join(tmpdir(), 'mamori-bench-steps-'));
  const schema = `bench_steps_${process.pid}`;
  const admin = backend === 'postgres' ? new pg.Client({ connectionString: PG_URL }) : null;
  if (admin) {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
  }
  const inner: SqlDriver =
    backend === 'sqlite' ? SqliteDriver.open(join(work, 'collector.sqlite')) : PostgresDriver.open({ url: PG_URL, schema });
  const store = new SqlStore({
    backend,
    driver: new TimedDriver(inner, timings),
    bootstrapSql: backend === 'sqlite' ? SQLITE_BOOTSTRAP : POSTGRES_BOOTSTRAP,
    migrations: backend === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS,
  });
  try {
    await store.migrate();
    if (backend === 'sqlite' && (SQLITE_PRAGMAS.length > 0 || SQLITE_DROP_INDEXES.length > 0)) {
      // An experiment, not the collector's configuration: reach the driver's connection.
      const db = (inner as unknown as { db: { pragma(text: string): unknown; exec(sql: string): void } }).db;
      for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
      for (const index of SQLITE_DROP_INDEXES) db.exec(`DROP INDEX ${index}`);
      process.stdout.write(`\nexperiment: PRAGMA ${SQLITE_PRAGMAS.join(', ') || '—'}; dropped ${SQLITE_DROP_INDEXES.join(', ') || '—'}\n`);
    }
    const agents: Agent[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const profile = profileOf(i);
      const inventory = inventoryOf(profile);
      const hashes = hashesOf(inventory.sections);
      const key = newAgentKey();
      const enrolled = await store.enrollDevice({
        fingerprint: { systemUuid: profile.systemUuid, serial: profile.serial, primaryMac: profile.mac },
        hostname: profile.hostname,
        platform: 'win32',
        keyHash: hashSecret(key),
      });
      const delta = deltaUpload(profile, inventory, hashes);
      agents.push({
        id: enrolled.deviceId,
        key,
        full: gzipSync(JSON.stringify(fullUpload(inventory.sections, hashes))),
        delta: gzipSync(JSON.stringify(delta.upload)),
        deltaKind: delta.kind,
        events: gzipSync(JSON.stringify(eventBatch(profile, 50))),
      });
    }
    if (PREFILL_EVENTS > 0) {
      process.stderr.write(`prefilling ${PREFILL_EVENTS} events …\n`);
      timings.enabled = false;
      for (let n = 0, batchNo = 1; n < PREFILL_EVENTS; batchNo++) {
        for (const [i, agent] of agents.entries()) {
          if (n >= PREFILL_EVENTS) break;
          // Earlier batches (negative numbers): the measured ones come after them in time.
          await store.insertEvents(agent.id, batchOf(i, -batchNo));
          n += 50;
        }
      }
      timings.enabled = true;
    }

    // The inventory route: decompress, parse, validate, hash every section, store (the store
    // checks the agent's key in the statement that marks the device seen).
    const inventoryRequest = async (agent: Agent, body: Buffer) => {
      const json = timings.time('gunzip', () => gunzipSync(body));
      const value = timings.time('JSON.parse', () => JSON.parse(json.toString('utf8')) as unknown);
      const keyHash = timings.time('hashSecret', () => hashSecret(agent.key));
      const upload = timings.time('zod InventoryUpload (parseWith)', () => parseWith(InventoryUpload, value));
      const wire = (value as { sections: Record<string, unknown> }).sections;
      const toStore: Record<string, { hash: string; data: unknown; clean: boolean; itemHashes?: string[] }> = {};
      for (const name of UPLOADED_SECTIONS) {
        const data = upload.sections[name];
        if (data === undefined) continue;
        const kind = name === 'software' ? ' — software' : ' — other sections';
        const check = timings.time(`checkSectionHash (JSON.stringify + node:crypto sha256 of the wire order)${kind}`, () => checkSectionHash(name, wire[name], upload.hashes[name]));
        if (!check.ok) throw new Error(`section ${name}: hash mismatch`);
        // For comparison only (not part of the request): the agent's pure-JS canonical hash.
        timings.time(`  compare: hashSection (canonicalize + @noble sha256)${kind}`, () => hashSection(name, data));
        toStore[name] = { hash: check.hash, data, clean: check.clean, ...(check.itemHashes ? { itemHashes: check.itemHashes } : {}) };
      }
      if (upload.softwareDelta) {
        const delta = upload.softwareDelta;
        const upsertWire = (value as { softwareDelta: { upsert: unknown[] } }).softwareDelta.upsert;
        const quick = timings.time('software delta: item hashes', () => hashSoftwareItemsQuick(upsertWire));
        toStore.software = { hash: upload.hashes.software!, delta: { ...delta, upsertHashes: quick.itemHashes }, clean: quick.clean } as never;
      }
      const applied = await timings.timeAsync('store.applyInventory', () => store.applyInventory(agent.id, toStore as StoreUpload, { keyHash }));
      if (upload.softwareDelta && !applied.applied.includes('software')) throw new Error('the software delta was refused');
      // As the server answers: @fastify/compress gzips only replies of 1 KiB or more (app.ts).
      timings.time('JSON.stringify (+ gzip from 1 KiB) of the answer', () => {
        const answer = JSON.stringify({ stored: UPLOADED_SECTIONS, resend: [] });
        return Buffer.byteLength(answer) >= 1024 ? gzipSync(answer) : answer;
      });
    };

    const phase = async (title: string, run: (agent: Agent) => Promise<void>, only: (agent: Agent) => boolean = () => true) => {
      const chosen = agents.filter(only);
      const warm = chosen.slice(0, Math.min(WARMUP, Math.floor(chosen.length / 5)));
      const timed = chosen.slice(warm.length);
      timings.reset();
      timings.enabled = false;
      for (const agent of warm) await run(agent);
      timings.enabled = true;
      const t0 = performance.now();
      const c0 = cpuMsNow();
      const w0 = writtenBytes();
      for (const agent of timed) await run(agent);
      const wall = performance.now() - t0;
      const cpu = cpuMsNow() - c0;
      const written = writtenBytes() - w0;
      process.stdout.write(
        `\n${timings.report(`${backend} — ${title}: ${round(wall / timed.length, 2)} ms wall, ${round(cpu / timed.length, 2)} ms CPU, ${round(written / timed.length / 1024, 1)} KiB written (database files or sockets) per request end to end (sequential, ${timed.length} requests after ${warm.length} warm-up; "compare" rows are alternatives, not part of the request; "(inside …)" rows are timed apart and also inside the store method)`, timed.length)}\n`,
      );
    };

    if (ONLY !== 'events') {
      await phase('full inventory', (agent) => inventoryRequest(agent, agent.full));
      // Delta check-ins of the two kinds apart: their costs differ by an order of magnitude.
      await phase('delta check-in, posture changed', (agent) => inventoryRequest(agent, agent.delta), (agent) => agent.deltaKind === 'posture');
      await phase('delta check-in, one software update (a change of that item)', (agent) => inventoryRequest(agent, agent.delta), (agent) => agent.deltaKind === 'software');
    }
    if (ONLY !== 'inventory') {
      await phase('event batch (50 events)', async (agent) => {
        const json = timings.time('gunzip', () => gunzipSync(agent.events));
        const value = timings.time('JSON.parse', () => JSON.parse(json.toString('utf8')) as unknown);
        await timings.timeAsync('store.authenticateDevice (+ hashSecret)', () => store.authenticateDevice(agent.id, hashSecret(agent.key)));
        const batch = timings.time('zod EventBatch (parseWith)', () => parseWith(EventBatch, value));
        if (EVENT_IDS_V7) for (const event of batch.events) event.id = uuidv7();
        await timings.timeAsync('store.insertEvents', () => store.insertEvents(agent.id, batch.events));
      });
    }
  } finally {
    await store.close();
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
    rmSync(work, { recursive: true, force: true });
  }
}

// Sections are checked against their schema once, so that a payload problem shows as such.
for (const name of UPLOADED_SECTIONS) {
  const data = inventoryOf(profileOf(0)).sections[name as SectionName];
  SECTIONS[name].schema.parse(data);
}
for (const backend of backends) await measure(backend);
