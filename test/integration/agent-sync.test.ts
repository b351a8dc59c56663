import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/shared/canonical.js';
import { hashSection, hashSections, type InventoryDocument } from '../../src/shared/inventory/index.js';
import type { InventoryUpload } from '../../src/shared/protocol/agent-api.js';
import { Agent } from '../../src/agent/agent.js';
import type { AgentConfig } from '../../src/agent/config/managed.js';
import { silentLog } from '../../src/agent/log.js';
import { Outbox, inventoryItem, requestItem } from '../../src/agent/outbox/index.js';
import { scan } from '../../src/agent/scan.js';
import { CollectorClient } from '../../src/agent/sync/client.js';
import { AgentState } from '../../src/agent/sync/state.js';
import type { UserInterface, UserNotice } from '../../src/agent/ui.js';
import { buildCollectorApp } from '../../src/collector/app.js';
import { hashSecret, newEnrollSecret } from '../../src/collector/auth/agent-keys.js';
import { openStore, type Store } from '../../src/collector/store/index.js';

// The agent core against a real collector over real HTTP on real SQLite, with a real outbox and
// state folder. The inventory is this machine's, scanned once for real.

let machine: InventoryDocument;
beforeAll(async () => {
  machine = await scan({ sections: ['system', 'network', 'os', 'software', 'posture'] });
  expect(machine.errors).toEqual([]);
}, 60_000);

interface Rig {
  dir: string;
  store: Store;
  app: FastifyInstance | null;
  url: string;
  secret: string;
  agent: Agent;
  outbox: Outbox;
  state: AgentState;
  client: CollectorClient;
  setInventory: (doc: InventoryDocument) => void;
  startCollector: () => Promise<void>;
  stopCollector: () => Promise<void>;
  /** Swaps the collector's database for an empty one (with the same enrolment secret). */
  replaceDatabase: () => Promise<void>;
  /** Starts the agent again on the same state folder and outbox files, as after a reboot. */
  restartAgent: () => Promise<void>;
  /** What the agent told the person at the PC. */
  notices: UserNotice[];
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    rig.client.close();
    await rig.outbox.close();
    await rig.stopCollector();
    await rig.store.close();
    await rm(rig.dir, { recursive: true, force: true });
  }
});

async function rig(): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'mamori-sync-'));
  const store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
  await store.migrate();
  const secret = newEnrollSecret();
  await store.createEnrollmentSecret({ secretHash: hashSecret(secret), label: 'test', expiresAt: null, maxUses: null });
  // Listen once to learn a free port, then always reuse it so the agent's URL stays valid.
  let port = 0;
  let current = machine;
  const r: Rig = {
    dir,
    store,
    app: null,
    url: '',
    secret,
    agent: undefined as unknown as Agent,
    outbox: await Outbox.open(join(dir, 'agent', 'outbox')),
    state: await AgentState.open(join(dir, 'agent')),
    client: undefined as unknown as CollectorClient,
    setInventory: (doc) => {
      current = doc;
    },
    startCollector: async () => {
      r.app = await buildCollectorApp({ store: r.store });
      await r.app.listen({ host: '127.0.0.1', port });
      port = (r.app.server.address() as { port: number }).port;
      r.url = `http://127.0.0.1:${port}`;
    },
    stopCollector: async () => {
      await r.app?.close();
      r.app = null;
    },
    replaceDatabase: async () => {
      await r.stopCollector();
      await r.store.close();
      r.store = openStore({ sqliteFile: join(dir, `collector-${Date.now()}.sqlite`) });
      await r.store.migrate();
      await r.store.createEnrollmentSecret({ secretHash: hashSecret(secret), label: 'test', expiresAt: null, maxUses: null });
      await r.startCollector();
    },
    restartAgent: async () => {
      r.client.close();
      await r.outbox.close();
      r.outbox = await Outbox.open(join(dir, 'agent', 'outbox'));
      r.state = await AgentState.open(join(dir, 'agent'));
      newAgent();
    },
    notices: [],
  };
  await r.startCollector();
  const config: AgentConfig = {
    serverUrl: r.url,
    enrollSecret: secret,
    stateDir: join(dir, 'agent'),
    lang: null,
    allowInsecureHttp: true,
    caPemPath: null,
    caPem: null,
    source: { file: null, fromCommandLine: [] },
  };
  const ui: UserInterface = { notify: (notice) => void r.notices.push(notice), prompt: async () => null, lang: () => 'ja' };
  const newAgent = () => {
    r.client = new CollectorClient({ baseUrl: r.url, timeoutMs: 5000 });
    r.agent = new Agent({ config, client: r.client, state: r.state, outbox: r.outbox, scan: async () => current, log: silentLog, osUser: () => 'yamada', ui });
  };
  newAgent();
  rigs.push(r);
  return r;
}

/** Every inventory upload the agent hands to its client, as it goes on the wire. */
function recordUploads(r: Rig): InventoryUpload[] {
  const sent: InventoryUpload[] = [];
  const upload = r.client.uploadInventory.bind(r.client);
  r.client.uploadInventory = (auth, body) => {
    sent.push(structuredClone(body));
    return upload(auth, body);
  };
  return sent;
}

function withSoftware(doc: InventoryDocument, change: (items: NonNullable<InventoryDocument['sections']['software']>) => typeof items): InventoryDocument {
  const sections = { ...doc.sections, software: change([...(doc.sections.software ?? [])]) };
  return { ...doc, sections, hashes: hashSections(sections) };
}

describe('agent ↔ collector sync', () => {
  it('enrols, delivers the inventory and applies the signed policy in one round', async () => {
    const r = await rig();
    const report = await r.agent.round({ collect: true });
    expect(report).toMatchObject({ enrolment: 'enrolled', inventoriesDelivered: 1, policy: 'updated', pending: 0, failure: null, delivered: true });
    const [device] = await r.store.listDevices();
    expect(device?.hostname).toBe(machine.sections.os?.hostname);
    expect(device?.softwareCount).toBe(machine.sections.software?.length);
    expect((await r.state.appliedPolicy())?.document.version).toBe(1);
  });

  it('sends only changed sections, and the collector records what was installed and removed', async () => {
    const r = await rig();
    await r.agent.round({ collect: true });
    const identity = await r.state.identity();
    const baseline = (await r.store.listChanges(identity!.agentId)).length;

    // Unchanged machine: nothing new is stored.
    expect((await r.agent.round({ collect: true })).delivered).toBe(true);
    expect((await r.store.listChanges(identity!.agentId)).length).toBe(baseline);

    const removed = machine.sections.software![0]!;
    r.setInventory(
      withSoftware(machine, (items) => [
        ...items.slice(1),
        { ...removed, id: 'dpkg:一太郎-test', name: '一太郎2024', packageName: 'ichitaro-test', version: '1.0' },
      ]),
    );
    expect((await r.agent.round({ collect: true })).delivered).toBe(true);
    const changes = await r.store.listChanges(identity!.agentId);
    const kinds = changes.slice(0, changes.length - baseline).map((c) => `${c.kind}:${'software' in c ? c.software.name : ''}`);
    expect(kinds, JSON.stringify(changes.slice(0, 5))).toEqual(expect.arrayContaining([`software.installed:一太郎2024`, `software.removed:${removed.name}`]));
  });

  it('sends sections in canonical key order, and a software change as the items that changed', async () => {
    const r = await rig();
    const sent = recordUploads(r);
    await r.agent.round({ collect: true });
    const first = sent.at(-1)!;
    expect(first.sections.software?.length).toBeGreaterThan(10);
    // Plain JSON of what goes on the wire is the canonical JSON: the collector's quick hash check.
    for (const data of Object.values(first.sections)) expect(JSON.stringify(data)).toBe(canonicalJson(data));
    expect(first.softwareDelta).toBeUndefined();

    const [dropped, updated] = machine.sections.software!;
    const next = withSoftware(machine, (items) => [
      ...items.filter((i) => i.id !== dropped!.id && i.id !== updated!.id),
      { ...updated!, version: `${updated!.version ?? '0'}+security1` },
      { ...dropped!, id: 'dpkg:hidemaru', name: '秀丸エディタ', packageName: 'hidemaru', version: '9.35' },
    ]);
    r.setInventory(next);
    expect((await r.agent.round({ collect: true })).delivered).toBe(true);
    const upload = sent.at(-1)!;
    expect(upload.sections.software).toBeUndefined();
    expect(upload.softwareDelta?.remove).toEqual([dropped!.id]);
    expect(upload.softwareDelta?.upsert.map((i) => i.id).sort()).toEqual([updated!.id, 'dpkg:hidemaru'].sort());
    const stored = await r.store.getInventory((await r.state.identity())!.agentId);
    const byId = (items: readonly { id: string }[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byId(stored!.sections.software!)).toEqual(byId(next.sections.software!));
    expect(stored!.hashes.software).toBe(next.hashes.software);
  });

  it('sends the whole software list when the collector does not hold the list the change is against', async () => {
    const r = await rig();
    const sent = recordUploads(r);
    await r.agent.round({ collect: true });
    const agentId = (await r.state.identity())!.agentId;
    // Someone's restore left the collector with another list for this PC.
    const other = machine.sections.software!.slice(3);
    await r.store.applyInventory(agentId, { software: { hash: hashSection('software', other), data: other } });
    const next = withSoftware(machine, (items) => items.slice(1));
    r.setInventory(next);
    expect((await r.agent.round({ collect: true })).delivered).toBe(true);
    const [change, whole] = sent.slice(-2);
    expect(change?.softwareDelta?.remove).toHaveLength(1);
    expect(whole?.softwareDelta).toBeUndefined();
    expect(whole?.sections.software).toHaveLength(next.sections.software!.length);
    expect((await r.store.getSectionHashes(agentId)).software).toBe(next.hashes.software);
    expect((await r.store.getDevice(agentId))?.softwareCount).toBe(next.sections.software!.length);
  });

  it('keeps events while the collector is down and delivers each exactly once when it is back', async () => {
    const r = await rig();
    await r.agent.round({ collect: true });
    await r.stopCollector();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await r.agent.record('media.inserted', { n: i, label: 'ＵＳＢメモリ' })).id);
    const offline = await r.agent.round({ collect: false });
    expect(offline.failure?.kind).toBe('network');
    expect(offline.pending).toBe(25);
    expect(offline.delivered).toBe(false);

    await r.startCollector();
    const online = await r.agent.round({ collect: false });
    expect(online).toMatchObject({ eventsDelivered: 25, pending: 0, delivered: true });
    const stored = await r.store.listEvents({ limit: 1000 });
    expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(stored[0]?.osUser).toBe('yamada');
  });

  it('keeps an approval request filed while the collector is down, across a restart, and files it once when the collector is back', async () => {
    const r = await rig();
    await r.agent.round({ collect: true });
    const agentId = (await r.state.identity())!.agentId;
    await r.stopCollector();
    const request = {
      id: randomUUID(), kind: 'media' as const, subject: { medium: { key: 'usb:0781:5581:4C530001', product: 'Ｕｌｔｒａ　ＵＳＢメモリ' } },
      reason: '会議資料の持ち出し', requestedBy: 'yamada', periodFrom: '2026-11-26', periodTo: '2026-11-30',
    };
    const filing = await r.agent.requestApproval(request);
    expect(filing).toMatchObject({ status: 'queued', failure: { kind: 'network' } });
    expect((await r.agent.round({ collect: false })).pending).toBe(1);

    await r.restartAgent();
    await r.startCollector();
    const back = await r.agent.round({ collect: false });
    expect(back).toMatchObject({ requestsDelivered: 1, pending: 0, delivered: true });
    const stored = await r.store.listApprovalRequests();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: request.id, deviceId: agentId, kind: 'media', status: 'pending', reason: '会議資料の持ち出し', requestedBy: 'yamada', subject: request.subject });
    expect(r.notices.at(-1)).toMatchObject({ title: '保留していた申請を送信しました', severity: 'info' });
    expect(r.notices.at(-1)?.body).toContain(request.id);

    // The answer was lost and the request sent again (a kill between send and ack): still one request.
    await r.outbox.enqueue(requestItem(request));
    expect(await r.agent.round({ collect: false })).toMatchObject({ requestsDelivered: 1, pending: 0, delivered: true });
    expect(await r.store.listApprovalRequests()).toHaveLength(1);
  });

  it('drops a kept approval request the collector refuses for good, says so, and goes on delivering the rest', async () => {
    const r = await rig();
    await r.agent.round({ collect: true });
    // The id is already another device's: the collector answers 403, which no resend can change.
    const { deviceId: otherDevice } = await r.store.enrollDevice({
      hostname: 'OTHER-PC', platform: 'win32', keyHash: 'f'.repeat(64), fingerprint: { systemUuid: randomUUID(), serial: 'JP-OTHER', primaryMac: null },
    });
    const id = randomUUID();
    await r.store.createApprovalRequest({ id, deviceId: otherDevice, kind: 'software', subject: { name: 'Winny' }, reason: '別の端末', requestedBy: 'sato', period: null });
    await r.outbox.enqueue(requestItem({ id, kind: 'software', subject: { name: 'Winny' }, reason: '必要', requestedBy: 'yamada', periodFrom: null, periodTo: null }));
    const event = await r.agent.record('agent.error', { what: 'test' });
    const report = await r.agent.round({ collect: false });
    expect(report).toMatchObject({ requestsDelivered: 0, dropped: 1, eventsDelivered: 1, pending: 0, failure: null, delivered: false });
    expect((await r.store.getApprovalRequest(id))?.deviceId).toBe(otherDevice);
    expect((await r.store.listEvents({ limit: 10 })).map((e) => e.id)).toContain(event.id);
    expect(r.notices.at(-1)).toMatchObject({ title: '申請が受け付けられませんでした', severity: 'warning' });
  });

  it('drops queued items whose payload the protocol refuses (a request, an inventory) and goes on delivering the rest', async () => {
    const r = await rig();
    await r.agent.round({ collect: true });
    // Written by a broken or foreign build: they can never be delivered, so they must not block the queue.
    await r.outbox.enqueue({ id: randomUUID(), kind: 'request', priority: 'security', createdAt: new Date().toISOString(), payload: { reason: 42 } });
    await r.outbox.enqueue(inventoryItem({ hashes: 'not hashes' }));
    const event = await r.agent.record('agent.error', { what: 'test' });
    const report = await r.agent.round({ collect: false });
    expect(report).toMatchObject({ requestsDelivered: 0, inventoriesDelivered: 0, dropped: 2, eventsDelivered: 1, pending: 0, failure: null });
    expect(await r.store.listApprovalRequests()).toEqual([]);
    expect((await r.store.listEvents({ limit: 10 })).map((e) => e.id)).toContain(event.id);
  });

  it('enrols again by itself when the collector no longer knows its key (database restored from an old backup)', async () => {
    const r = await rig();
    await r.agent.round({ collect: true });
    const before = await r.state.identity();
    await r.replaceDatabase();
    await r.agent.record('agent.error', { what: 'test' });
    const report = await r.agent.round({ collect: false });
    expect(report).toMatchObject({ failure: null, pending: 0 });
    const after = await r.state.identity();
    expect(after?.agentKey).not.toBe(before?.agentKey);
    const devices = await r.store.listDevices();
    expect(devices.map((d) => d.id)).toEqual([after?.agentId]);
    // The new database lacked every section: the collector asked for a full resend and got it.
    expect(devices[0]?.softwareCount).toBe(machine.sections.software?.length);
    expect(devices[0]?.eventCount).toBe(1);
  });
});
