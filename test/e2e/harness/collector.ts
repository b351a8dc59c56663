import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventType } from '../../../src/shared/events.js';
import type { PolicyDocument } from '../../../src/shared/policy.js';
import { currentPolicy, loadPolicyKeys } from '../../../src/collector/policy/current.js';
import { openStore, type EventCursor, type Store, type StoredEvent } from '../../../src/collector/store/index.js';
import { REPO } from './guest.js';

/** The compiled collector CLI: what an administrator runs (`npm run build` makes it). */
const COLLECTOR_CLI = join(REPO, 'dist/src/collector/cli.js');

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * A real `mamori-collector serve` on the host, on SQLite in a fresh folder. The guest reaches it
 * at 10.0.2.2:<port> (QEMU's user network forwards that address to the host's loopback).
 */
export class E2eCollector {
  private output = '';

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-32_768);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Say so when it ends on its own (a crash, or another process's signal): the agent then sees ECONNREFUSED.
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.output += `\n[e2e] the collector process exited on its own at ${new Date().toISOString()}: code ${code}, signal ${signal}\n`;
    });
  }

  private stopping = false;

  /** The collector's URL as the guest sees it. */
  get guestUrl(): string {
    return `http://10.0.2.2:${this.port}`;
  }

  static async start(): Promise<E2eCollector> {
    const dataDir = await mkdtemp(join(tmpdir(), 'mamori-e2e-collector-'));
    const port = await freePort();
    const child = spawn(process.execPath, [COLLECTOR_CLI, 'serve', '--data', dataDir, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MAMORI_LANG: 'en' },
    });
    const collector = new E2eCollector(dataDir, port, child);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the collector exited before serving:\n${collector.output}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok) return collector;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    await collector.stop();
    throw new Error(`the collector did not answer /healthz:\n${collector.output}`);
  }

  /** Runs the collector CLI on this collector's data folder (`requests decide`, `media …`); resolves with its status and output. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [COLLECTOR_CLI, ...args, '--data', this.dataDir], { cwd: REPO, env: { ...process.env, MAMORI_LANG: 'en' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Like cli, but throws with the output unless it exits 0. */
  async cliOk(args: string[]): Promise<string> {
    const r = await this.cli(args);
    if (r.code !== 0) throw new Error(`mamori-collector ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** A fresh enrolment secret for the guest's agent. */
  async enrollSecret(): Promise<string> {
    const out = await this.cliOk(['enroll-secret', 'create', '--json', '--label', 'e2e']);
    return (JSON.parse(out) as { secret: string }).secret;
  }

  /** Opens the collector's database for one piece of work (the serving process keeps running). */
  async withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = openStore({ sqliteFile: join(this.dataDir, 'collector.sqlite') });
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  /** The current policy document. */
  async policy(): Promise<PolicyDocument> {
    return this.withStore(async (store) => {
      const keys = await loadPolicyKeys(store);
      return JSON.parse((await currentPolicy(store, keys)).document) as PolicyDocument;
    });
  }

  /** Events the collector stored, oldest first by the time they happened (of one type when given). */
  async events(type?: EventType): Promise<StoredEvent[]> {
    return this.withStore(async (store) => {
      const all: StoredEvent[] = [];
      let before: EventCursor | undefined;
      for (;;) {
        const page = await store.listEvents({ ...(type ? { type } : {}), limit: 1000, ...(before ? { before } : {}) });
        all.push(...page);
        if (page.length < 1000) break;
        const last = page[page.length - 1]!;
        before = { occurredAt: last.occurredAt, id: last.id };
      }
      return all.reverse();
    });
  }

  /** Waits until `check` over the stored events of `type` is satisfied; resolves with them. */
  async waitForEvents(type: EventType, check: (events: StoredEvent[]) => boolean, timeoutMs: number): Promise<StoredEvent[]> {
    const deadline = Date.now() + timeoutMs;
    let events: StoredEvent[] = [];
    while (Date.now() < deadline) {
      events = await this.events(type);
      if (check(events)) return events;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the collector did not record the expected ${type} events within ${timeoutMs} ms; it has ${events.length}:\n${JSON.stringify(events.slice(-5), null, 1).slice(0, 4000)}`);
  }

  /** The last lines the collector printed (for failure messages). */
  tail(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
