import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignedPolicy } from '../../src/agent/policy/verify.js';
import { hashSecret } from '../../src/collector/auth/agent-keys.js';
import type { Store } from '../../src/collector/store/index.js';
import { SECTION_NAMES, hashSection, type InventorySections } from '../../src/shared/inventory/index.js';
import {
  AGENT_ROUTES,
  ApiError,
  ApprovalRequestView,
  EventBatchResponse,
  InventoryUploadResponse,
  type InventoryUpload,
} from '../../src/shared/protocol/agent-api.js';
import {
  agentEvent,
  approvalRequestBody,
  bearer,
  createEnrollSecret,
  dpkgItem,
  enrollAgent,
  enrollBody,
  inventoryUpload,
  recordedInventory,
  storeSnapshot,
  storedSectionNames,
  type EnrolledAgent,
} from '../helpers/collector-agents.js';
import { send, sendJson, startCollector, type HttpReply, type RunningCollector } from '../helpers/collector-server.js';
import { backendRuns, databaseBackends, type FreshDatabase } from '../helpers/databases.js';

// The agent API end to end: a real collector on 127.0.0.1 over real HTTP, on a fresh SQLite file
// and a fresh PostgreSQL schema per test. Each test checks the reply and then what the store holds.

const backends = await databaseBackends();

function apiError(reply: HttpReply): ApiError {
  return ApiError.parse(reply.json);
}

describe.each(backends)('the agent API on $name', (backend) => {
  if (!backendRuns(backend)) return;

  let db: FreshDatabase;
  let store: Store;
  let collector: RunningCollector;
  let secret: string;

  beforeEach(async () => {
    db = await backend.create();
    store = db.open();
    // High enough that tests which fail auth on purpose never trip the limiter (tested on its own below).
    collector = await startCollector(store, { authFailuresPerMinute: 1_000 });
    secret = await createEnrollSecret(store);
  });

  afterEach(async () => {
    await collector?.close();
    await db?.dispose();
  });

  const post = (path: string, body: unknown, agent?: EnrolledAgent) => sendJson(collector.url, path, body, agent?.auth ?? {});
  const get = (path: string, headers: Record<string, string> = {}) => send(collector.url, { path, headers });

  describe('enrolment', () => {
    it('gives a valid secret a new agent id and a 256-bit key, stored only as its hash', async () => {
      const reply = await post(AGENT_ROUTES.enroll, enrollBody(secret, { hostname: '総務課-PC014' }));
      expect(reply.status).toBe(200);
      const body = reply.json as { agentId: string; agentKey: string; reenrolled: boolean; policyPublicKey: string };
      expect(body.agentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Buffer.from(body.agentKey, 'base64url')).toHaveLength(32);
      expect(body.reenrolled).toBe(false);
      expect(body.policyPublicKey).toContain('BEGIN PUBLIC KEY');

      const device = await store.getDevice(body.agentId);
      expect(device).toMatchObject({ hostname: '総務課-PC014', platform: 'linux', softwareCount: 0, eventCount: 0 });
      expect(await store.authenticateDevice(body.agentId, hashSecret(body.agentKey))).not.toBeNull();
      expect(JSON.stringify(await storeSnapshot(store))).not.toContain(body.agentKey);
      expect((await store.listEnrollmentSecrets())[0]?.uses).toBe(1);
    });

    it.each([
      ['an unknown', async () => `mes_${randomUUID().replaceAll('-', '')}`],
      ['an expired', (s: Store) => createEnrollSecret(s, { expiresAt: new Date(Date.now() - 60_000).toISOString() })],
      [
        'a revoked',
        async (s: Store) => {
          const revoked = await createEnrollSecret(s);
          const entry = (await s.listEnrollmentSecrets()).find((e) => e.secretHash === hashSecret(revoked));
          await s.revokeEnrollmentSecret(entry!.id);
          return revoked;
        },
      ],
    ])('refuses %s secret with 401 and creates no device', async (_name, makeSecret) => {
      const bad = await makeSecret(store);
      const reply = await post(AGENT_ROUTES.enroll, enrollBody(bad));
      expect(reply.status).toBe(401);
      expect(apiError(reply).error).toBe('invalid_enroll_secret');
      expect(await store.listDevices()).toEqual([]);
    });

    it('refuses a used-up secret: the second enrolment with a one-use secret creates nothing', async () => {
      const once = await createEnrollSecret(store, { maxUses: 1 });
      const first = await enrollAgent(collector.url, enrollBody(once, { hostname: 'PC-1' }));
      const second = await post(AGENT_ROUTES.enroll, enrollBody(once, { hostname: 'PC-2' }));
      expect(second.status).toBe(401);
      expect((await store.listDevices()).map((d) => d.id)).toEqual([first.agentId]);
    });

    it('matches a re-imaged PC by its fingerprint: same id, the old key refused with reenroll, the new key works', async () => {
      const body = enrollBody(secret, { hostname: 'SOUMU-PC014' });
      const before = await enrollAgent(collector.url, body);
      await post(AGENT_ROUTES.events, { events: [agentEvent()] }, before);

      const after = await enrollAgent(collector.url, { ...body, hostname: 'SOUMU-PC014-NEW' });
      expect(after.agentId).toBe(before.agentId);
      expect(after.reenrolled).toBe(true);
      expect(after.agentKey).not.toBe(before.agentKey);

      const old = await get(AGENT_ROUTES.policy, before.auth);
      expect(old.status).toBe(401);
      expect(apiError(old)).toMatchObject({ error: 'unknown_agent', reenroll: true });
      expect((await get(AGENT_ROUTES.policy, after.auth)).status).toBe(200);

      const devices = await store.listDevices();
      expect(devices).toHaveLength(1);
      expect(devices[0]).toMatchObject({ id: before.agentId, hostname: 'SOUMU-PC014-NEW', eventCount: 1 });
    });
  });

  describe('inventory', () => {
    let agent: EnrolledAgent;
    let scan: InventorySections;

    beforeEach(async () => {
      agent = await enrollAgent(collector.url, enrollBody(secret));
      scan = recordedInventory().sections;
    });

    const upload = async (body: InventoryUpload) => {
      const reply = await post(AGENT_ROUTES.inventory, body, agent);
      expect(reply.status, reply.text).toBe(200);
      return InventoryUploadResponse.parse(reply.json);
    };

    it('stores every section of the first upload, but not the volatile processes', async () => {
      expect(scan.processes?.length).toBeGreaterThan(0);
      const result = await upload(inventoryUpload(scan));
      const kept = storedSectionNames(scan);
      expect(kept).not.toContain('processes');
      expect([...result.stored].sort()).toEqual([...kept].sort());
      expect(result.resend).toEqual([]);

      const stored = await store.getInventory(agent.agentId);
      const expected = Object.fromEntries(kept.map((name) => [name, scan[name]]));
      expect(stored?.sections).toEqual(expected);
      expect(stored?.sections.processes).toBeUndefined();
      expect(await store.getSectionHashes(agent.agentId)).toEqual(Object.fromEntries(kept.map((name) => [name, hashSection(name, scan[name])])));
      expect(await store.getDevice(agent.agentId)).toMatchObject({ softwareCount: 300, osName: 'Debian GNU/Linux' });
      expect((await store.getDevice(agent.agentId))?.lastSeenAt).not.toBeNull();
    });

    it('stores nothing for a second upload with the same hashes and no sections', async () => {
      await upload(inventoryUpload(scan));
      const before = await storeSnapshot(store);
      const inventoryBefore = await store.getInventory(agent.agentId);

      const result = await upload(inventoryUpload(scan, []));
      expect(result).toEqual({ stored: [], resend: [] });
      expect(await store.getInventory(agent.agentId)).toEqual(inventoryBefore);
      // Only the device's last-seen time moves.
      expect(await storeSnapshot(store)).toEqual({ ...before, devices: before.devices.map((d) => ({ ...d, lastSeenAt: expect.any(String) })) });
    });

    it('stores a changed software section and records installed, removed and updated software', async () => {
      await upload(inventoryUpload(scan));
      const software = [...(scan.software ?? [])];
      const [gone1, gone2] = [software[10]!, software[20]!];
      const updatedIndex = 30;
      const old = software[updatedIndex]!;
      software[updatedIndex] = { ...old, version: `${old.version ?? '0'}+deb12u9` };
      const kept = software.filter((item) => item.id !== gone1.id && item.id !== gone2.id);
      const ichitaro = dpkgItem('ichitaro-viewer', '2024.1', { name: '一太郎ビューア 2024', publisher: '株式会社ジャストシステム' });
      const zip = dpkgItem('7zip', '23.01+dfsg-1');
      const changed = { ...scan, software: [...kept, ichitaro, zip] };

      const result = await upload(inventoryUpload(changed, ['software']));
      expect(result).toEqual({ stored: ['software'], resend: [] });

      const changes = (await store.listChanges(agent.agentId, { limit: 1000 })).filter((c) => c.section === 'software' && c.kind !== 'section.added');
      const summary = changes.map((c) => (c.kind === 'software.updated' ? `${c.kind} ${c.software.id} ${c.oldVersion} → ${c.newVersion}` : `${c.kind} ${'software' in c ? c.software.id : ''}`));
      expect(summary.sort()).toEqual(
        [
          `software.installed ${ichitaro.id}`,
          `software.installed ${zip.id}`,
          `software.removed ${gone1.id}`,
          `software.removed ${gone2.id}`,
          `software.updated ${old.id} ${old.version} → ${old.version}+deb12u9`,
        ].sort(),
      );
      const installed = changes.find((c) => c.kind === 'software.installed' && c.software.id === ichitaro.id);
      expect(installed).toMatchObject({ software: { name: '一太郎ビューア 2024', publisher: '株式会社ジャストシステム' } });
      expect(await store.getDevice(agent.agentId)).toMatchObject({ softwareCount: 300 });
      expect((await store.getSectionHashes(agent.agentId)).software).toBe(hashSection('software', changed.software));
    });

    it('asks for the sections whose hashes it does not hold, and never for processes', async () => {
      const fresh = await upload(inventoryUpload(scan, []));
      expect(fresh.stored).toEqual([]);
      expect([...fresh.resend].sort()).toEqual([...storedSectionNames(scan)].sort());

      await upload(inventoryUpload(scan));
      const changedOs = { ...scan, os: { ...scan.os!, hostname: 'renamed-pc' } };
      const partial = await upload(inventoryUpload(changedOs, []));
      expect(partial).toEqual({ stored: [], resend: ['os'] });
      expect((await store.getInventory(agent.agentId))?.sections.os?.hostname).toBe(scan.os?.hostname);
    });

    it('refuses a section whose hash does not match its data with 400, storing nothing of the upload', async () => {
      const before = await storeSnapshot(store);
      const body = inventoryUpload(scan, ['os', 'software']);
      body.hashes.software = hashSection('software', [...(scan.software ?? []), dpkgItem('unlisted', '1.0')]);
      const reply = await post(AGENT_ROUTES.inventory, body, agent);
      expect(reply.status).toBe(400);
      expect(apiError(reply)).toMatchObject({ error: 'hash_mismatch' });
      expect(apiError(reply).message).toContain('software');
      expect(await store.getSectionHashes(agent.agentId)).toEqual({});
      expect(await storeSnapshot(store)).toEqual(before);
    });

    it('ignores an upload of the processes section alone', async () => {
      const result = await upload(inventoryUpload(scan, ['processes']));
      expect(result.stored).toEqual([]);
      expect(await store.getSectionHashes(agent.agentId)).toEqual({});
      expect(await store.listChanges(agent.agentId)).toEqual([]);
    });

    it('refuses an unknown section name with 400', async () => {
      const body = { ...inventoryUpload(scan, ['os']), sections: { os: scan.os, registry: {} } };
      const reply = await post(AGENT_ROUTES.inventory, body, agent);
      expect(reply.status).toBe(400);
      expect(await store.getSectionHashes(agent.agentId)).toEqual({});
    });
  });

  describe('events', () => {
    let agent: EnrolledAgent;

    beforeEach(async () => {
      agent = await enrollAgent(collector.url, enrollBody(secret));
    });

    const sendEvents = async (events: unknown[], who: EnrolledAgent = agent) => {
      const reply = await post(AGENT_ROUTES.events, { events }, who);
      expect(reply.status, reply.text).toBe(200);
      return EventBatchResponse.parse(reply.json);
    };

    it('acknowledges a batch and stores each event once, also when the batch is sent again', async () => {
      const batch = [agentEvent('media.inserted'), agentEvent('media.file_written'), agentEvent('media.removed')];
      const first = await sendEvents(batch);
      expect([...first.acknowledged].sort()).toEqual(batch.map((e) => e.id).sort());
      expect(first.rejected).toEqual([]);

      const again = await sendEvents(batch);
      expect([...again.acknowledged].sort()).toEqual(batch.map((e) => e.id).sort());

      const stored = await store.listEvents({ deviceId: agent.agentId });
      expect(stored.map((e) => e.id).sort()).toEqual(batch.map((e) => e.id).sort());
      expect(stored.find((e) => e.id === batch[0]!.id)).toMatchObject({ osUser: '山田 太郎', payload: batch[0]!.payload });
      expect(await store.getDevice(agent.agentId)).toMatchObject({ eventCount: 3 });
    });

    it("rejects an event id that belongs to another device and does not store it for this one", async () => {
      const other = await enrollAgent(collector.url, enrollBody(secret, { hostname: 'OTHER-PC' }));
      const theirs = agentEvent('software.detected');
      await sendEvents([theirs], other);

      const mine = agentEvent('media.inserted');
      const forged = { ...theirs, type: 'media.blocked' as const, payload: { forged: true } };
      const result = await sendEvents([forged, mine]);
      expect(result.acknowledged).toEqual([mine.id]);
      expect(result.rejected.map((r) => r.id)).toEqual([theirs.id]);

      expect((await store.listEvents({ deviceId: agent.agentId })).map((e) => e.id)).toEqual([mine.id]);
      expect(await store.listEvents({ deviceId: other.agentId })).toEqual([expect.objectContaining({ id: theirs.id, type: 'software.detected', payload: theirs.payload })]);
    });

    it('refuses a batch of more than 1000 events with 400, storing none of them', async () => {
      const batch = Array.from({ length: 1001 }, () => agentEvent('agent.started'));
      const reply = await post(AGENT_ROUTES.events, { events: batch }, agent);
      expect(reply.status).toBe(400);
      expect(apiError(reply).error).toBe('invalid_request');
      expect(await store.listEvents({ deviceId: agent.agentId })).toEqual([]);

      const full = await sendEvents(batch.slice(0, 1000));
      expect(full.acknowledged).toHaveLength(1000);
    });
  });

  describe('policy', () => {
    it('is signed with the key given at enrolment, and 304 for the ETag the agent holds', async () => {
      const agent = await enrollAgent(collector.url, enrollBody(secret));
      const reply = await get(AGENT_ROUTES.policy, agent.auth);
      expect(reply.status).toBe(200);
      const etag = reply.headers.etag;
      expect(etag).toMatch(/^"v1-[0-9a-f]{16}"$/);

      const verified = verifySignedPolicy(reply.json, agent.policyPublicKey, null);
      expect(verified.ok).toBe(true);
      if (verified.ok) expect(verified.policy.version).toBe(1);
      const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(verifySignedPolicy(reply.json, stranger, null)).toMatchObject({ ok: false, refusal: 'unknown-key' });

      const cached = await get(AGENT_ROUTES.policy, { ...agent.auth, 'if-none-match': etag! });
      expect(cached.status).toBe(304);
      expect(cached.body).toHaveLength(0);
      expect(cached.headers.etag).toBe(etag);

      const stale = await get(AGENT_ROUTES.policy, { ...agent.auth, 'if-none-match': '"v0-0000000000000000"' });
      expect(stale.status).toBe(200);
      expect(stale.json).toEqual(reply.json);
    });

    it('is the same policy and key for an agent enrolled later', async () => {
      const first = await enrollAgent(collector.url, enrollBody(secret));
      const policy = await get(AGENT_ROUTES.policy, first.auth);
      const later = await enrollAgent(collector.url, enrollBody(secret, { hostname: 'LATER-PC' }));
      expect(later.policyPublicKey).toBe(first.policyPublicKey);
      const again = await get(AGENT_ROUTES.policy, later.auth);
      expect(again.headers.etag).toBe(policy.headers.etag);
      expect(verifySignedPolicy(again.json, later.policyPublicKey, 1).ok).toBe(true);
    });
  });

  describe('approval requests', () => {
    it('are created pending (201), readable by their device, 403 for another device, 404 when unknown', async () => {
      const agent = await enrollAgent(collector.url, enrollBody(secret));
      const other = await enrollAgent(collector.url, enrollBody(secret, { hostname: 'OTHER-PC' }));
      const body = approvalRequestBody();

      const created = await post(AGENT_ROUTES.requests, body, agent);
      expect(created.status).toBe(201);
      const view = ApprovalRequestView.parse(created.json);
      expect(view).toMatchObject({ id: body.id, kind: 'media', status: 'pending', reason: body.reason, decidedAt: null, comment: null });

      const own = await get(`${AGENT_ROUTES.requests}/${body.id}`, agent.auth);
      expect(own.status).toBe(200);
      expect(own.json).toEqual(created.json);

      const foreign = await get(`${AGENT_ROUTES.requests}/${body.id}`, other.auth);
      expect(foreign.status).toBe(403);
      expect(JSON.stringify(foreign.json)).not.toContain(body.reason);

      expect((await get(`${AGENT_ROUTES.requests}/${randomUUID()}`, agent.auth)).status).toBe(404);
      expect((await get(`${AGENT_ROUTES.requests}/not-a-uuid`, agent.auth)).status).toBe(400);

      const stored = await store.getApprovalRequest(body.id);
      expect(stored).toMatchObject({
        deviceId: agent.agentId,
        requestedBy: 'yamada.taro',
        period: { from: '2026-11-10T00:00:00.000Z', until: '2026-11-12T23:59:59.999Z' },
      });
    });

    it.each([
      ['ends before it starts', { periodFrom: '2026-11-12', periodTo: '2026-11-10' }],
      ['has an end but no start', { periodFrom: null, periodTo: '2026-11-10' }],
      ['is not a date', { periodFrom: '2026-11-10T09:00:00Z', periodTo: null }],
    ])('are refused with 400 when the period %s', async (_name, period) => {
      const agent = await enrollAgent(collector.url, enrollBody(secret));
      const before = await storeSnapshot(store);
      const reply = await post(AGENT_ROUTES.requests, approvalRequestBody(period), agent);
      expect(reply.status).toBe(400);
      expect(apiError(reply).error).toBe('invalid_request');
      expect(await storeSnapshot(store)).toEqual(before);
    });

    it('keep an open-ended or absent period', async () => {
      const agent = await enrollAgent(collector.url, enrollBody(secret));
      const open = approvalRequestBody({ periodFrom: '2026-11-10', periodTo: null });
      const none = approvalRequestBody({ kind: 'software', periodFrom: null, periodTo: null, requestedBy: null });
      expect((await post(AGENT_ROUTES.requests, open, agent)).status).toBe(201);
      expect((await post(AGENT_ROUTES.requests, none, agent)).status).toBe(201);
      expect(await store.getApprovalRequest(open.id)).toMatchObject({ period: { from: '2026-11-10T00:00:00.000Z', until: null } });
      expect(await store.getApprovalRequest(none.id)).toMatchObject({ period: null, requestedBy: '(unknown)' });
    });

    it('are stored once when an agent retries, and refused (403) when another device reuses the id', async () => {
      const agent = await enrollAgent(collector.url, enrollBody(secret));
      const other = await enrollAgent(collector.url, enrollBody(secret, { hostname: 'OTHER-PC' }));
      const body = approvalRequestBody({ kind: 'software', subject: { name: '一太郎2024', publisher: '株式会社ジャストシステム' } });
      expect((await post(AGENT_ROUTES.requests, body, agent)).status).toBe(201);
      expect((await post(AGENT_ROUTES.requests, body, agent)).status).toBe(201);
      const reused = await post(AGENT_ROUTES.requests, { ...body, reason: 'someone else' }, other);
      expect(reused.status).toBe(403);

      const all = await store.listApprovalRequests();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ id: body.id, deviceId: agent.agentId, reason: body.reason });
    });
  });

  describe('authentication', () => {
    it.each([
      ['no Authorization header', undefined],
      ['a Basic header', 'Basic dXNlcjpwYXNz'],
      ['a malformed bearer', 'Bearer not-an-agent'],
      ['an unknown agent', `Bearer ${randomUUID()}.${'A'.repeat(43)}`],
    ])('answers 401 with reenroll for %s on every authenticated route', async (_name, authorization) => {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const replies = await Promise.all([
        sendJson(collector.url, AGENT_ROUTES.inventory, inventoryUpload({}), headers),
        sendJson(collector.url, AGENT_ROUTES.events, { events: [agentEvent()] }, headers),
        sendJson(collector.url, AGENT_ROUTES.requests, approvalRequestBody(), headers),
        get(AGENT_ROUTES.policy, headers),
        get(`${AGENT_ROUTES.requests}/${randomUUID()}`, headers),
      ]);
      for (const reply of replies) {
        expect(reply.status).toBe(401);
        expect(apiError(reply)).toMatchObject({ error: 'unknown_agent', reenroll: true });
      }
      expect(await store.listEvents()).toEqual([]);
      expect(await store.listApprovalRequests()).toEqual([]);
    });

    it("refuses a known agent id with another agent's key", async () => {
      const a = await enrollAgent(collector.url, enrollBody(secret));
      const b = await enrollAgent(collector.url, enrollBody(secret, { hostname: 'B' }));
      const reply = await sendJson(collector.url, AGENT_ROUTES.events, { events: [agentEvent()] }, bearer(a.agentId, b.agentKey));
      expect(reply.status).toBe(401);
      expect(apiError(reply).reenroll).toBe(true);
      expect(await store.listEvents()).toEqual([]);
    });
  });

  describe('rate limits', () => {
    it('answer 429 with Retry-After after repeated auth and enrolment failures from one address', async () => {
      const agent = await enrollAgent(collector.url, enrollBody(secret));
      const limited = await startCollector(db.open(), { authFailuresPerMinute: 3 });
      try {
        const badKey = bearer(agent.agentId, 'B'.repeat(43));
        expect((await send(limited.url, { path: AGENT_ROUTES.policy, headers: badKey })).status).toBe(401);
        expect((await send(limited.url, { path: AGENT_ROUTES.policy, headers: badKey })).status).toBe(401);
        expect((await sendJson(limited.url, AGENT_ROUTES.enroll, enrollBody('mes_wrong-secret-0123456789'))).status).toBe(401);

        const blocked = await send(limited.url, { path: AGENT_ROUTES.policy, headers: badKey });
        expect(blocked.status).toBe(429);
        const retryAfter = Number(blocked.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(apiError(blocked).error).toBe('rate_limited');

        // The address is blocked as a whole: also a right key and a right secret wait.
        expect((await send(limited.url, { path: AGENT_ROUTES.policy, headers: agent.auth })).status).toBe(429);
        const enrol = await sendJson(limited.url, AGENT_ROUTES.enroll, enrollBody(secret, { hostname: 'LATE' }));
        expect(enrol.status).toBe(429);
        expect(enrol.headers['retry-after']).toBeDefined();
        expect((await store.listDevices()).map((d) => d.hostname)).toEqual(['総務課-PC014']);
      } finally {
        await limited.close();
      }
      // Each process limits on its own: the first collector still serves the agent.
      expect((await get(AGENT_ROUTES.policy, agent.auth)).status).toBe(200);
    });

    it('answer 429 with Retry-After to an enrolment flood from one address, even with a right secret', async () => {
      const limited = await startCollector(db.open(), { enrolmentsPerMinute: 3 });
      try {
        for (let i = 0; i < 3; i++) expect((await sendJson(limited.url, AGENT_ROUTES.enroll, enrollBody(secret, { hostname: `PC-${i}` }))).status).toBe(200);
        const flood = await sendJson(limited.url, AGENT_ROUTES.enroll, enrollBody(secret, { hostname: 'PC-3' }));
        expect(flood.status).toBe(429);
        expect(Number(flood.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect((await store.listDevices()).map((d) => d.hostname).sort()).toEqual(['PC-0', 'PC-1', 'PC-2']);
      } finally {
        await limited.close();
      }
    });
  });
});

it('uploads a recorded inventory that has every section of the registry', () => {
  // A section added to the registry must be recorded in the fixture too, or the tests above miss it.
  expect(SECTION_NAMES.filter((name) => recordedInventory().sections[name] === undefined)).toEqual([]);
});
