import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/collector/auth/agent-keys.js';
import type { Store } from '../../src/collector/store/index.js';
import { canonicalOrder } from '../../src/shared/canonical.js';
import { AGENT_LIMITS, AGENT_ROUTES, ApiError } from '../../src/shared/protocol/agent-api.js';
import {
  agentEvent,
  approvalRequestBody,
  createEnrollSecret,
  dpkgItem,
  enrollAgent,
  enrollBody,
  inventoryUpload,
  recordedInventory,
  storeSnapshot,
  type EnrolledAgent,
} from '../helpers/collector-agents.js';
import { gzipBomb, paddedJson, peakRssGrowth } from '../helpers/collector-bodies.js';
import { send, sendJson, startCollector, type HttpReply, type RawRequest, type RunningCollector } from '../helpers/collector-server.js';
import { backendRuns, databaseBackends, type FreshDatabase } from '../helpers/databases.js';

// Malformed, oversized and hostile requests against a real collector over real HTTP. For each:
// the status the issue asks for (never 5xx), an ApiError body, and a store that holds exactly
// what it held before.

const backends = await databaseBackends();

/** A small body limit keeps the oversized cases fast; the default limit is tested on its own. */
const LIMIT = 1024 * 1024;
const MiB = 1024 * 1024;

let bomb64: Buffer;
beforeAll(async () => {
  bomb64 = await gzipBomb(64 * MiB);
});

type Route = 'enroll' | 'inventory' | 'events' | 'requests';
const ROUTES: Route[] = ['enroll', 'inventory', 'events', 'requests'];

interface BadCase {
  name: string;
  status: number | number[];
  /** The request's body and headers (Authorization is added for authenticated routes). */
  build(valid: unknown): Omit<RawRequest, 'path' | 'method'>;
}

const json = { 'content-type': 'application/json' };

const BAD_CASES: BadCase[] = [
  { name: 'a body one byte over the limit', status: 413, build: (valid) => ({ headers: json, body: paddedJson(valid, LIMIT + 1) }) },
  { name: 'a chunked body over the limit', status: 413, build: (valid) => ({ headers: json, body: paddedJson(valid, LIMIT + 300_000), chunked: true }) },
  { name: 'a gzip bomb (64 MiB of JSON whitespace)', status: 413, build: () => ({ headers: { ...json, 'content-encoding': 'gzip' }, body: bomb64 }) },
  {
    name: 'a corrupt gzip body',
    status: 400,
    build: () => ({ headers: { ...json, 'content-encoding': 'gzip' }, body: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03]), randomBytes(512)]) }),
  },
  {
    name: 'a truncated gzip body',
    status: 400,
    build: (valid) => {
      const whole = gzipSync(JSON.stringify(valid));
      return { headers: { ...json, 'content-encoding': 'gzip' }, body: whole.subarray(0, Math.floor(whole.length / 2)) };
    },
  },
  { name: 'plain JSON labelled as gzip', status: 400, build: (valid) => ({ headers: { ...json, 'content-encoding': 'gzip' }, body: JSON.stringify(valid) }) },
  { name: 'a body that is not JSON', status: 400, build: () => ({ headers: json, body: '{"events": [ this is not json' }) },
  { name: 'an empty JSON body', status: 400, build: () => ({ headers: json, body: '' }) },
  { name: 'invalid UTF-8 bytes', status: 400, build: () => ({ headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x82, 0xa0, 0x22, 0x3a, 0x31, 0x7d]) }) },
  { name: 'a __proto__ key', status: 400, build: (valid) => ({ headers: json, body: JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"admin":true},') }) },
  { name: 'JSON of the wrong shape (an array)', status: 400, build: (valid) => ({ headers: json, body: JSON.stringify([valid]) }) },
  { name: 'JSON null', status: 400, build: () => ({ headers: json, body: 'null' }) },
  { name: 'a JSON string in Japanese', status: 400, build: () => ({ headers: json, body: JSON.stringify('総務課の端末です') }) },
  { name: 'JSON nested 5,000 deep', status: 400, build: () => ({ headers: json, body: `${'['.repeat(5000)}${']'.repeat(5000)}` }) },
  { name: 'text/plain', status: 415, build: (valid) => ({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify(valid) }) },
  { name: 'application/xml', status: 415, build: () => ({ headers: { 'content-type': 'application/xml' }, body: '<events/>' }) },
  { name: 'multipart/form-data', status: 415, build: () => ({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\n\r\n{}\r\n--x--' }) },
  { name: 'a body without Content-Type', status: 415, build: (valid) => ({ body: JSON.stringify(valid) }) },
  ...['br', 'deflate', 'compress', 'x-gzip', 'gzip, gzip', 'identity, gzip'].map(
    (encoding): BadCase => ({
      name: `Content-Encoding: ${encoding}`,
      status: 415,
      build: (valid) => ({ headers: { ...json, 'content-encoding': encoding }, body: gzipSync(JSON.stringify(valid)) }),
    }),
  ),
];

describe.each(backends)('bad input to the agent API on $name', (backend) => {
  if (!backendRuns(backend)) return;

  let db: FreshDatabase;
  let store: Store;
  let collector: RunningCollector;
  let secret: string;
  let agent: EnrolledAgent;
  let valid: Record<Route, unknown>;

  beforeEach(async () => {
    db = await backend.create();
    store = db.open();
    collector = await startCollector(store, { bodyLimitBytes: LIMIT, authFailuresPerMinute: 1_000_000 });
    secret = await createEnrollSecret(store);
    agent = await enrollAgent(collector.url, enrollBody(secret));
    const scan = recordedInventory().sections;
    expect((await sendJson(collector.url, AGENT_ROUTES.inventory, inventoryUpload(scan), agent.auth)).status).toBe(200);
    const changedScan = { ...scan, software: scan.software?.slice(1) };
    valid = {
      enroll: enrollBody(secret, { hostname: 'ATTACKER-PC' }),
      inventory: inventoryUpload(changedScan, ['software']),
      events: { events: [agentEvent(), agentEvent('software.detected')] },
      requests: approvalRequestBody(),
    };
  });

  afterEach(async () => {
    await collector?.close();
    await db?.dispose();
  });

  const post = (route: Route, request: Omit<RawRequest, 'path' | 'method'>): Promise<HttpReply> =>
    send(collector.url, {
      ...request,
      method: 'POST',
      path: AGENT_ROUTES[route],
      headers: { ...(route === 'enroll' ? {} : agent.auth), ...request.headers },
    });

  it.each(BAD_CASES)('refuses $name on every route, storing nothing', async (bad) => {
    const before = await storeSnapshot(store);
    for (const route of ROUTES) {
      const reply = await post(route, bad.build(valid[route]));
      const expected = Array.isArray(bad.status) ? bad.status : [bad.status];
      expect(expected, `${route}: ${reply.status} ${reply.text}`).toContain(reply.status);
      expect(ApiError.safeParse(reply.json).success, `${route}: ${reply.text}`).toBe(true);
      expect(reply.text).not.toMatch(/stack|node_modules|SELECT|INSERT/i);
    }
    expect(await storeSnapshot(store)).toEqual(before);
  });

  it('accepts the same bodies when they are well formed: gzip, at the limit, chunked', async () => {
    // The control for the table above: each route takes its valid body, so a refusal there is the bad input's doing.
    const gzipped = await post('events', { headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(valid.events)) });
    expect(gzipped.status, gzipped.text).toBe(200);
    const atLimit = await post('inventory', { headers: json, body: paddedJson(valid.inventory, LIMIT) });
    expect(atLimit.status, atLimit.text).toBe(200);
    const chunked = await post('requests', { headers: json, body: paddedJson(valid.requests, 200_000), chunked: true });
    expect(chunked.status, chunked.text).toBe(201);
    const upperCase = await post('enroll', { headers: { 'content-type': 'Application/JSON; charset=utf-8', 'content-encoding': 'GZIP' }, body: gzipSync(JSON.stringify(valid.enroll)) });
    expect(upperCase.status, upperCase.text).toBe(200);

    expect(await store.listEvents()).toHaveLength(2);
    expect((await store.getDevice(agent.agentId))?.softwareCount).toBe(299);
    expect(await store.listApprovalRequests()).toHaveLength(1);
    expect(await store.listDevices()).toHaveLength(2);
    expect((await store.listDevices()).map((d) => d.hostname)).toContain('ATTACKER-PC');
  });

  it('refuses a gzip bomb quickly, without expanding it in memory, at the default body limit too', async () => {
    const defaults = await startCollector(db.open(), { authFailuresPerMinute: 1_000_000 });
    try {
      const before = await storeSnapshot(store);
      for (const target of [collector, defaults]) {
        const measured = await peakRssGrowth(() =>
          send(target.url, { method: 'POST', path: AGENT_ROUTES.events, headers: { ...agent.auth, ...json, 'content-encoding': 'gzip' }, body: bomb64 }),
        );
        expect(measured.result.status).toBe(413);
        expect(measured.elapsedMs).toBeLessThan(3_000);
        // The bomb expands to 64 MiB; the server may hold at most its body limit (16 MiB by default).
        expect(measured.growthBytes).toBeLessThan(AGENT_LIMITS.bodyBytes + 8 * MiB);
      }
      expect(await storeSnapshot(store)).toEqual(before);
    } finally {
      await defaults.close();
    }
  });

  it('refuses a hash that is not hex, unknown fields in a section, and software that is not a list', async () => {
    const scan = recordedInventory().sections;
    const before = await storeSnapshot(store);
    const cases: unknown[] = [
      { ...inventoryUpload(scan, ['os']), hashes: { os: 'NOT-A-HASH' } },
      { ...inventoryUpload(scan, []), sections: { os: { ...scan.os, hostname: 42 } } },
      { ...inventoryUpload(scan, []), sections: { software: { 'dpkg:bash': scan.software?.[0] } } },
      { ...inventoryUpload(scan, ['software']), collectedAt: '2026-13-45T99:00:00Z' },
    ];
    for (const body of cases) {
      const reply = await sendJson(collector.url, AGENT_ROUTES.inventory, body, agent.auth);
      expect(reply.status, reply.text).toBe(400);
      expect(ApiError.parse(reply.json).message.length).toBeGreaterThan(10);
    }
    expect(await storeSnapshot(store)).toEqual(before);
  });

  it('refuses a blank host name at enrolment without using up the secret', async () => {
    const once = await createEnrollSecret(store, { maxUses: 1 });
    const before = await storeSnapshot(store);
    for (const hostname of ['   ', '\t\n']) {
      const reply = await sendJson(collector.url, AGENT_ROUTES.enroll, enrollBody(once, { hostname }));
      expect(reply.status, reply.text).toBe(400);
    }
    expect(await storeSnapshot(store)).toEqual(before);
    const secrets = await store.listEnrollmentSecrets();
    expect(secrets.find((s) => s.secretHash === hashSecret(once))?.uses).toBe(0);
    expect((await sendJson(collector.url, AGENT_ROUTES.enroll, enrollBody(once, { hostname: '会計課-PC001' }))).status).toBe(200);
  });

  it('stores hostile text (NUL, lone surrogates, Japanese) in an accepted event as valid text', async () => {
    const event = { ...agentEvent('media.file_written'), osUser: 'yamada\u0000taro', payload: { file: '議事録\ud800.docx', note: '\udfff' } };
    const reply = await sendJson(collector.url, AGENT_ROUTES.events, { events: [event] }, agent.auth);
    expect(reply.status, reply.text).toBe(200);
    const [stored] = await store.listEvents({ deviceId: agent.agentId });
    expect(stored).toMatchObject({ id: event.id, osUser: 'yamada\ufffdtaro', payload: { file: '議事録\ufffd.docx', note: '\ufffd' } });
  });

  it('stores hostile text in an inventory as valid text, whether or not the sections come in canonical key order', async () => {
    const scan = recordedInventory().sections;
    const item = { ...dpkgItem('bad\u0000name', '1.0\ud800'), id: 'dpkg:bad\u0000name', publisher: '議事録\udfff' };
    for (const ordered of [true, false]) {
      const sections = { ...scan, software: [item], os: { ...scan.os!, name: `Debian\u0000${ordered ? 'A' : 'B'}` } };
      const upload = inventoryUpload(sections, ['software', 'os']);
      const body = ordered ? { ...upload, sections: canonicalOrder(upload.sections) } : upload;
      const reply = await sendJson(collector.url, AGENT_ROUTES.inventory, body, agent.auth);
      expect(reply.status, reply.text).toBe(200);
      const stored = await store.getInventory(agent.agentId);
      expect(stored?.sections.software).toEqual([{ ...item, id: 'dpkg:bad\ufffdname', name: 'bad\ufffdname', packageName: 'bad\ufffdname', version: '1.0\ufffd', publisher: '議事録\ufffd' }]);
      expect(stored?.sections.os?.name).toBe(`Debian\ufffd${ordered ? 'A' : 'B'}`);
    }
  });

  it('answers unknown routes and methods with 404, not 5xx', async () => {
    const replies = await Promise.all([
      send(collector.url, { method: 'PUT', path: AGENT_ROUTES.events, headers: { ...agent.auth, ...json }, body: '{}' }),
      send(collector.url, { method: 'DELETE', path: `${AGENT_ROUTES.requests}/00000000-0000-4000-8000-000000000000`, headers: agent.auth }),
      send(collector.url, { path: '/api/agent/v2/policy', headers: agent.auth }),
      send(collector.url, { path: `${AGENT_ROUTES.policy}/../../../../etc/passwd`, headers: agent.auth }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([404, 404, 404, 404]);
  });
});
