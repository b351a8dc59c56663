import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type InventoryChange, type Store } from '../../src/collector/store/index.js';
import type { AgentEvent } from '../../src/shared/events.js';
import type { InventorySections } from '../../src/shared/inventory/index.js';
import { AGENT_ROUTES, EventBatchResponse, InventoryUploadResponse } from '../../src/shared/protocol/agent-api.js';
import {
  agentEvent,
  createEnrollSecret,
  dpkgItem,
  enrollAgent,
  enrollBody,
  inventoryUpload,
  newFingerprint,
  recordedInventory,
  storedSectionNames,
  type EnrolledAgent,
} from '../helpers/collector-agents.js';
import { startCollectorProcess, type CollectorProcess } from '../helpers/collector-process.js';
import { sendJson } from '../helpers/collector-server.js';
import { backendRuns, createPostgresSchema, postgresBackend } from '../helpers/databases.js';

// Issue 3: "Several collector processes on one PostgreSQL serve agents at the same time with
// nothing lost or duplicated: test it with two processes." Two real `mamori-collector serve`
// processes start together on an empty schema (racing the migration and the signing key), agents
// enrol alternately through each, then every agent sends the same inventory and the same event
// batch through both processes at once.

const AGENTS = 40;
const EVENTS_PER_AGENT = 25;
/** Agents whose first enrolment goes to both processes at the same moment (a retry after a timeout). */
const DOUBLE_ENROLMENTS = 5;

const backend = await postgresBackend();

interface Fleet {
  agent: EnrolledAgent;
  hostname: string;
  first: InventorySections;
  second: InventorySections;
  events: AgentEvent[];
  removed: string;
  installed: string;
  updated: { id: string; from: string | null; to: string };
}

describe('two collector processes on one PostgreSQL database', () => {
  if (!backendRuns(backend)) return;

  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  let processes: CollectorProcess[] = [];
  let store: Store;

  beforeAll(async () => {
    schema = await createPostgresSchema();
    try {
      processes = await Promise.all([startCollectorProcess(['--database', schema.url]), startCollectorProcess(['--database', schema.url])]);
    } catch (error) {
      await Promise.all(processes.map((p) => p.stop()));
      throw error;
    }
    store = openStore(schema.url);
    await store.migrate();
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await store?.close();
    await schema?.drop();
  }, 30_000);

  const via = (i: number) => processes[i % 2]!.url;

  it('store every device, inventory, change and event exactly once', async () => {
    const [a, b] = processes;
    const secret = await createEnrollSecret(store);

    // Both processes answered /healthz, so both migrated and loaded a signing key: it must be the same one.
    const probes = await Promise.all([a!, b!].map((p) => enrollAgent(p.url, enrollBody(secret, { hostname: `PROBE-${p.pid}` }))));
    expect(probes[0]!.policyPublicKey).toBe(probes[1]!.policyPublicKey);

    // Enrolment, alternating between the processes, all at once.
    const recorded = recordedInventory().sections;
    const fleet: Fleet[] = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i): Promise<Fleet> => {
        const hostname = `SOUMU-PC${String(i).padStart(3, '0')}`;
        const agent = await enrollAgent(via(i), enrollBody(secret, { hostname }));
        const software = recorded.software!.filter((_item, k) => k !== i);
        const first: InventorySections = { ...recorded, os: { ...recorded.os!, hostname }, software };
        const target = software[(i * 7) % software.length]!;
        const updatedItem = software[(i * 7 + 1) % software.length]!;
        const installed = dpkgItem(`mamori-test-${i}`, '1.0', { name: `庁内システム ${i}` });
        const second: InventorySections = {
          ...first,
          software: [
            ...software.filter((item) => item.id !== target.id).map((item) => (item.id === updatedItem.id ? { ...item, version: `${item.version}-sec1` } : item)),
            installed,
          ],
        };
        return {
          agent,
          hostname,
          first,
          second,
          events: Array.from({ length: EVENTS_PER_AGENT }, (_e, k) => agentEvent(k % 3 === 0 ? 'media.inserted' : k % 3 === 1 ? 'media.file_written' : 'media.removed')),
          removed: target.id,
          installed: installed.id,
          updated: { id: updatedItem.id, from: updatedItem.version ?? null, to: `${updatedItem.version}-sec1` },
        };
      }),
    );

    // A machine whose enrolment reaches both processes at once must still be one device.
    const doubles = await Promise.all(
      Array.from({ length: DOUBLE_ENROLMENTS }, async (_, i) => {
        const body = enrollBody(secret, { hostname: `RETRY-PC${i}`, fingerprint: newFingerprint() });
        const [x, y] = await Promise.all([enrollAgent(a!.url, body), enrollAgent(b!.url, body)]);
        return [x, y] as const;
      }),
    );
    for (const [x, y] of doubles) expect(x.agentId).toBe(y.agentId);

    // The same inventory and the same events through both processes at the same moment.
    const both = async (path: string, body: unknown, member: Fleet) =>
      Promise.all(processes.map((p) => sendJson(p.url, path, body, member.agent.auth)));
    await Promise.all(
      fleet.map(async (member) => {
        const [inventory, events] = await Promise.all([
          both(AGENT_ROUTES.inventory, inventoryUpload(member.first), member),
          both(AGENT_ROUTES.events, { events: member.events }, member),
        ]);
        for (const reply of inventory) {
          expect(reply.status, reply.text).toBe(200);
          expect([...InventoryUploadResponse.parse(reply.json).stored].sort()).toEqual([...storedSectionNames(member.first)].sort());
        }
        for (const reply of events) {
          expect(reply.status, reply.text).toBe(200);
          const parsed = EventBatchResponse.parse(reply.json);
          expect([...parsed.acknowledged].sort()).toEqual(member.events.map((e) => e.id).sort());
          expect(parsed.rejected).toEqual([]);
        }
        // Then a software change, again through both at once, and a half-overlapping event batch.
        const more = [...member.events.slice(0, 5), agentEvent('software.detected')];
        member.events.push(more[5]!);
        const [second, again] = await Promise.all([
          both(AGENT_ROUTES.inventory, inventoryUpload(member.second, ['software']), member),
          both(AGENT_ROUTES.events, { events: more }, member),
        ]);
        for (const reply of [...second, ...again]) expect(reply.status, reply.text).toBe(200);
      }),
    );

    // Devices: every agent once, plus the probes and the double enrolments, each once.
    const devices = await store.listDevices();
    expect(devices).toHaveLength(AGENTS + probes.length + DOUBLE_ENROLMENTS);
    expect(new Set(devices.map((d) => d.id)).size).toBe(devices.length);
    const byId = new Map(devices.map((d) => [d.id, d]));

    for (const member of fleet) {
      const device = byId.get(member.agent.agentId);
      expect(device, member.hostname).toMatchObject({ hostname: member.hostname, softwareCount: member.second.software!.length, eventCount: EVENTS_PER_AGENT + 1 });

      const events = await store.listEvents({ deviceId: member.agent.agentId, limit: 1000 });
      expect(events.map((e) => e.id).sort(), member.hostname).toEqual(member.events.map((e) => e.id).sort());

      const inventory = await store.getInventory(member.agent.agentId);
      expect(inventory?.sections.software?.map((s) => s.id).sort()).toEqual(member.second.software!.map((s) => s.id).sort());

      const changes = await store.listChanges(member.agent.agentId, { limit: 1000 });
      expect(describeChanges(changes), member.hostname).toEqual(
        [
          ...storedSectionNames(member.first).map((name) => `section.added ${name}`),
          `software.installed ${member.installed}`,
          `software.removed ${member.removed}`,
          `software.updated ${member.updated.id} ${member.updated.from} → ${member.updated.to}`,
        ].sort(),
      );
    }
    const totalEvents = devices.reduce((sum, d) => sum + d.eventCount, 0);
    expect(totalEvents).toBe(AGENTS * (EVENTS_PER_AGENT + 1));
  }, 120_000);
});

/** One sorted line per history entry: a duplicate shows as a repeated line. */
function describeChanges(changes: readonly InventoryChange[]): string[] {
  return changes
    .map((c) => {
      switch (c.kind) {
        case 'section.added':
          return `${c.kind} ${c.section}`;
        case 'section.changed':
          return `${c.kind} ${c.section}`;
        case 'software.updated':
          return `${c.kind} ${c.software.id} ${c.oldVersion} → ${c.newVersion}`;
        default:
          return `${c.kind} ${c.software.id}`;
      }
    })
    .sort();
}
