import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/collector/store/index.js';
import { hashSection } from '../../src/shared/inventory/index.js';
import { AGENT_ROUTES, InventoryUploadResponse } from '../../src/shared/protocol/agent-api.js';
import { createEnrollSecret, dpkgItem, enrollAgent, enrollBody, inventoryUpload, newFingerprint, recordedInventory } from '../helpers/collector-agents.js';
import { startCollectorProcess, type CollectorProcess } from '../helpers/collector-process.js';
import { sendJson } from '../helpers/collector-server.js';

// `serve --workers 2` on the embedded SQLite database: one primary (migrations, WAL checkpoints)
// and two serving processes on one port; a worker that dies is replaced.

const AGENTS = 16;

interface Proc {
  pid: number;
  ppid: number;
  /** A cluster worker: Node's cluster.fork() sets NODE_UNIQUE_ID in its environment. */
  worker: boolean;
}

function processes(): Proc[] {
  const list: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      list.push({ pid: Number(entry), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), worker: environ.split('\0').some((v) => v.startsWith('NODE_UNIQUE_ID=')) });
    } catch {
      // gone meanwhile
    }
  }
  return list;
}

/** The cluster workers among the descendants of `root` (the npx process the helper started). */
function workerPids(root: number): number[] {
  const all = processes();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const under = (p: Proc): boolean => p.ppid === root || (byPid.has(p.ppid) && under(byPid.get(p.ppid)!));
  return all.filter((p) => p.worker && under(p)).map((p) => p.pid);
}

async function until<T>(probe: () => T, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let value = probe();
  while (!ok(value) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    value = probe();
  }
  return value;
}

describe('serve --workers 2 on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-workers-'));
  let collector: CollectorProcess;
  let secret: string;

  beforeAll(async () => {
    const store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
    await store.migrate();
    secret = await createEnrollSecret(store);
    await store.close();
    collector = await startCollectorProcess(['--data', dir, '--workers', '2']);
  }, 90_000);

  afterAll(async () => {
    await collector?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves agents from two processes, storing every device once', async () => {
    expect(await until(() => workerPids(collector.pid), (p) => p.length === 2, 30_000), collector.output()).toHaveLength(2);
    const scan = recordedInventory().sections;
    const results = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const agent = await enrollAgent(collector.url, enrollBody(secret, { hostname: `会計課-PC${String(i).padStart(3, '0')}`, fingerprint: newFingerprint() }));
        const software = [...(scan.software ?? []), dpkgItem(`only-on-${i}`, '1.0')];
        const reply = await sendJson(collector.url, AGENT_ROUTES.inventory, inventoryUpload({ ...scan, software }), agent.auth);
        expect(reply.status, reply.text).toBe(200);
        expect(InventoryUploadResponse.parse(reply.json).resend).toEqual([]);
        return { agent, software };
      }),
    );
    const store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
    try {
      const devices = await store.listDevices();
      expect(devices).toHaveLength(AGENTS);
      for (const { agent, software } of results) {
        expect((await store.getSectionHashes(agent.agentId)).software).toBe(hashSection('software', software));
        expect((await store.getDevice(agent.agentId))?.softwareCount).toBe(software.length);
      }
    } finally {
      await store.close();
    }
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const [victim, survivor] = workerPids(collector.pid);
    expect(survivor).toBeDefined();
    process.kill(victim!, 'SIGKILL');
    // A keep-alive connection that the dead worker held is reset (an agent retries); new ones are
    // served. A connection the primary handed to the worker as it died may never be answered: the
    // agent's client times out and retries, so a request here gives up after 5 s too (without it
    // this test once hung to its 60 s limit in a full, loaded run).
    let resets = 0;
    let served = 0;
    while (served < 10 && resets < 3) {
      try {
        if ((await fetch(`${collector.url}/healthz`, { signal: AbortSignal.timeout(5_000) })).ok) served += 1;
      } catch {
        resets += 1;
      }
    }
    expect(served).toBe(10);
    const replaced = await until(() => workerPids(collector.pid), (p) => p.length === 2 && !p.includes(victim!), 30_000);
    expect(replaced, collector.output()).toHaveLength(2);
    expect(replaced).not.toContain(victim);
  });

  it('stops every process on SIGTERM', async () => {
    const workers = workerPids(collector.pid);
    expect(workers).toHaveLength(2);
    await collector.stop(10_000);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(await until(() => workers.filter(alive), (left) => left.length === 0, 5_000)).toEqual([]);
  });
});
