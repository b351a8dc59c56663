import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { policyKeyIdOf, verifySignedPolicy } from '../../src/agent/policy/verify.js';
import { CollectorClient, type AgentCredentials, type CollectorClientOptions } from '../../src/agent/sync/client.js';
import type { SyncFailure, SyncResult } from '../../src/agent/sync/failure.js';
import { AGENT_VERSION } from '../../src/agent/version.js';
import { canonicalJson } from '../../src/shared/canonical.js';
import { hashSections } from '../../src/shared/inventory/index.js';
import type { SoftwareItem } from '../../src/shared/inventory/software.js';
import { DEFAULT_POLICY } from '../../src/shared/policy.js';
import { AGENT_ROUTES, type EnrollRequest, type EventBatch, type InventoryUpload } from '../../src/shared/protocol/agent-api.js';

// A real HTTP(S) server on 127.0.0.1, answering canned protocol responses; the client under test
// is the real one over axios. Nothing is mocked: bytes cross a socket.

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as it arrived on the wire (still compressed when it was sent so). */
  raw: Buffer;
}
type Handler = (req: Seen, res: http.ServerResponse) => void;

interface TestServer {
  url: string;
  seen: Seen[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server, scheme: 'http' | 'https', seen: Seen[]): Promise<TestServer> {
  let handler: Handler = (_req, res) => res.writeHead(500).end();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks) };
      seen.push(record);
      handler(record, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    seen,
    handle: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const startHttp = () => listen(http.createServer(), 'http', []);

function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function expectFailure<T>(result: SyncResult<T>, kind: SyncFailure['kind']): SyncFailure {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('expected a failure');
  expect(result.failure.kind).toBe(kind);
  return result.failure;
}

const auth: AgentCredentials = { agentId: '0b7e1c52-4f0e-4d8a-9c4e-2f7d8a1b3c4d', agentKey: 'q3Jc0vY2bA8sP1nQ5tR7uW9xZ_aB-cD4eF6gH8iJ0kL' };

const enrollRequest: EnrollRequest = {
  enrollSecret: 'enroll-3f9a1c7e5b2d4086',
  fingerprint: { systemUuid: '4c4c4544-0051-3510-8052-b4c04f564433', serial: 'JP1234ABCD', primaryMac: '00:1a:2b:3c:4d:5e' },
  hostname: '総務課-PC01',
  platform: 'linux',
  osName: 'Debian GNU/Linux 12 (bookworm)',
  agentVersion: AGENT_VERSION,
};

const policyKeys = generateKeyPairSync('ed25519');
const policyPublicKeyPem = policyKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const enrollResponse = {
  agentId: auth.agentId,
  agentKey: auth.agentKey,
  reenrolled: false,
  policyPublicKey: policyPublicKeyPem,
};

function software(count: number): SoftwareItem[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `dpkg:package-${i}:amd64`,
    name: i % 2 ? `package-${i}` : `日本語入力 ${i}`,
    version: `1.${i}.0-1`,
    publisher: 'Debian',
    installDate: null,
    source: 'dpkg' as const,
    scope: 'system' as const,
    arch: 'amd64',
    installPath: null,
    msiProductCode: null,
    msiUpgradeCode: null,
    packageFamilyName: null,
    bundleId: null,
    packageName: `package-${i}`,
  }));
}

function inventoryUpload(count: number): InventoryUpload {
  const sections = { software: software(count) };
  return { collectedAt: '2026-11-20T01:02:03.000Z', agentVersion: AGENT_VERSION, hashes: hashSections(sections), sections };
}

const eventBatch: EventBatch = {
  events: [
    {
      id: '018f6b1e-7c3a-7d2e-9a41-3c5b7d9e1f20',
      type: 'media.inserted',
      occurredAt: '2026-11-20T01:02:03.000Z',
      osUser: 'CITY\\yamada',
      payload: { vendor: 'バッファロー', product: 'RUF3-K32GA', serial: null },
    },
  ],
};

describe('CollectorClient over real HTTP', () => {
  let server: TestServer;
  let client: CollectorClient;
  const connect = (options: Partial<CollectorClientOptions> = {}) => {
    client = new CollectorClient({ baseUrl: server.url, timeoutMs: 5_000, ...options });
    return client;
  };

  beforeAll(async () => {
    server = await startHttp();
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    client?.close();
    server.seen.length = 0;
  });

  it('enrols: a small JSON body, no credentials, our User-Agent, the validated answer', async () => {
    server.handle((_req, res) => json(res, 200, enrollResponse));
    const result = await connect().enroll(enrollRequest);
    expect(result).toEqual({ ok: true, value: enrollResponse });
    const [req] = server.seen;
    expect(req).toMatchObject({ method: 'POST', url: AGENT_ROUTES.enroll });
    expect(req!.headers['user-agent']).toBe(`mamori-agent/${AGENT_VERSION}`);
    expect(req!.headers['user-agent']).toMatch(/^mamori-agent\/\d+\.\d+\.\d+/);
    expect(req!.headers.authorization).toBeUndefined();
    expect(req!.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(req!.raw.toString('utf8'))).toEqual(enrollRequest);
  });

  it('keeps a path prefix of the base URL', async () => {
    server.handle((_req, res) => json(res, 200, enrollResponse));
    await connect({ baseUrl: `${server.url}/mamori/` }).enroll(enrollRequest);
    expect(server.seen[0]!.url).toBe(`/mamori${AGENT_ROUTES.enroll}`);
  });

  it('gzips a large inventory: the bytes on the wire are gzip and decompress to the JSON sent', async () => {
    server.handle((_req, res) => json(res, 200, { stored: ['software'], resend: [] }));
    const upload = inventoryUpload(300);
    const result = await connect().uploadInventory(auth, upload);
    expect(result).toEqual({ ok: true, value: { stored: ['software'], resend: [] } });
    const [req] = server.seen;
    expect(req!.headers['content-encoding']).toBe('gzip');
    expect(req!.headers.authorization).toBe(`Bearer ${auth.agentId}.${auth.agentKey}`);
    expect([...req!.raw.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const sent = Buffer.from(JSON.stringify(upload), 'utf8');
    expect(req!.raw.length).toBeLessThan(sent.length / 4);
    expect(JSON.parse(gunzipSync(req!.raw).toString('utf8'))).toEqual(upload);
  });

  it('accepts a gzip-compressed answer', async () => {
    const answer = { acknowledged: [eventBatch.events[0]!.id], rejected: [] };
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(gzipSync(JSON.stringify(answer)));
    });
    const result = await connect().sendEvents(auth, eventBatch);
    expect(result).toEqual({ ok: true, value: answer });
    expect(String(server.seen[0]!.headers['accept-encoding'])).toContain('gzip');
    expect(JSON.parse(server.seen[0]!.raw.toString('utf8'))).toEqual(eventBatch);
  });

  it('refuses a gzip bomb in an answer instead of inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(bomb);
    });
    const result = await connect({ maxResponseBytes: 1024 * 1024 }).sendEvents(auth, eventBatch);
    expectFailure(result, 'invalid-response');
  });

  it('401 with reenroll: the caller is told to enrol again', async () => {
    server.handle((_req, res) => json(res, 401, { error: 'unknown-agent', message: 'agent key not recognised', reenroll: true }));
    const failure = expectFailure(await connect().sendEvents(auth, eventBatch), 'unauthorized');
    expect(failure).toEqual({ kind: 'unauthorized', reenroll: true, message: 'agent key not recognised' });
  });

  it('401 without reenroll (or with an unreadable body) does not ask for enrolment', async () => {
    server.handle((_req, res) => res.writeHead(401, { 'Content-Type': 'text/html' }).end('<h1>401</h1>'));
    const failure = expectFailure(await connect().sendEvents(auth, eventBatch), 'unauthorized');
    expect(failure).toMatchObject({ reenroll: false });
  });

  it('429 with Retry-After: 7 gives 7000 ms', async () => {
    server.handle((_req, res) => json(res, 429, { error: 'rate-limited', message: 'slow down' }, { 'Retry-After': '7' }));
    const failure = expectFailure(await connect().sendEvents(auth, eventBatch), 'rate-limited');
    expect(failure).toMatchObject({ status: 429, retryAfterMs: 7_000 });
  });

  it('503 with an HTTP-date Retry-After gives the time until then', async () => {
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 120_000);
    server.handle((_req, res) => res.writeHead(503, { 'Retry-After': at.toUTCString() }).end());
    const failure = expectFailure(await connect().sendEvents(auth, eventBatch), 'rate-limited');
    if (failure.kind !== 'rate-limited') throw new Error('unreachable');
    expect(failure.retryAfterMs).toBeGreaterThan(115_000);
    expect(failure.retryAfterMs).toBeLessThanOrEqual(121_000);
  });

  it('429 without Retry-After leaves the delay to the backoff', async () => {
    server.handle((_req, res) => res.writeHead(429).end());
    expect(expectFailure(await connect().sendEvents(auth, eventBatch), 'rate-limited')).toMatchObject({ retryAfterMs: null });
  });

  it.each([
    [403, { error: 'forbidden', message: 'not your device' }, 'forbidden'],
    [400, { error: 'invalid-body', message: 'events.0.type: Invalid option' }, 'bad-request'],
    [413, { error: 'too-large', message: 'body too large' }, 'bad-request'],
    [500, { error: 'internal', message: 'Internal Server Error' }, 'server'],
    [502, 'Bad Gateway from the load balancer', 'server'],
  ] as const)('status %i maps to %j → %s', async (status, body, kind) => {
    server.handle((_req, res) => (typeof body === 'string' ? res.writeHead(status).end(body) : json(res, status, body)));
    const failure = expectFailure(await connect().sendEvents(auth, eventBatch), kind);
    if (typeof body !== 'string') expect(failure).toMatchObject({ message: body.message });
    if (failure.kind === 'bad-request') expect(failure).toMatchObject({ status, code: body && typeof body === 'object' ? body.error : null });
  });

  it.each([
    ['a body that does not match the schema', 'application/json', JSON.stringify({ agentId: 'nope', agentKey: 'x' })],
    ['a captive-portal HTML page with 200', 'text/html', '<html><body>Wi-Fi ログイン</body></html>'],
    ['an empty 200', 'application/json', ''],
    ['truncated JSON', 'application/json', JSON.stringify(enrollResponse).slice(0, 40)],
    ['invalid UTF-8', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['an extra agentKey that is too short', 'application/json', JSON.stringify({ ...enrollResponse, agentKey: 'short' })],
  ])('rejects %s as invalid-response', async (_name, type, body) => {
    server.handle((_req, res) => res.writeHead(200, { 'Content-Type': type }).end(body));
    expectFailure(await connect().enroll(enrollRequest), 'invalid-response');
  });

  it('rejects a body that claims gzip but is not', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip' }).end('not gzip at all'));
    expectFailure(await connect().enroll(enrollRequest), 'invalid-response');
  });

  it('does not follow a redirect to another server', async () => {
    server.handle((_req, res) => res.writeHead(302, { Location: 'http://127.0.0.2:1/elsewhere' }).end());
    expectFailure(await connect().enroll(enrollRequest), 'invalid-response');
    expect(server.seen).toHaveLength(1);
  });

  it('a hung server trips the timeout', async () => {
    server.handle(() => {
      /* never answers */
    });
    const started = Date.now();
    const failure = expectFailure(await connect({ timeoutMs: 300 }).enroll(enrollRequest), 'network');
    expect(failure).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a server that trickles its answer byte by byte still trips the overall timeout', async () => {
    const timers: NodeJS.Timeout[] = [];
    server.handle((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const body = JSON.stringify(enrollResponse);
      let i = 0;
      const tick = () => {
        if (i < body.length && !res.destroyed) {
          res.write(body[i++]!);
          timers.push(setTimeout(tick, 50));
        }
      };
      tick();
    });
    const started = Date.now();
    const failure = expectFailure(await connect({ timeoutMs: 400 }).enroll(enrollRequest), 'network');
    timers.forEach(clearTimeout);
    expect(failure).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('nobody listening is a network failure', async () => {
    const gone = await startHttp();
    await gone.close();
    const failure = expectFailure(await new CollectorClient({ baseUrl: gone.url }).enroll(enrollRequest), 'network');
    expect(failure).toMatchObject({ reason: 'connection', code: 'ECONNREFUSED' });
  });

  it('close() ends a call in flight as aborted', async () => {
    server.handle(() => {
      /* never answers */
    });
    const pending = connect().enroll(enrollRequest);
    setTimeout(() => client.close(), 100);
    expect(expectFailure(await pending, 'network')).toMatchObject({ reason: 'aborted' });
  });

  it('refuses to send a body that breaks the protocol schema, without contacting the server', async () => {
    const failure = expectFailure(await connect().enroll({ ...enrollRequest, enrollSecret: 'short' }), 'bad-request');
    expect(failure).toMatchObject({ status: null, code: 'invalid-request' });
    expect(failure.message).toContain('enrollSecret');
    expect(server.seen).toHaveLength(0);
  });

  it('refuses malformed stored credentials (header injection included) without sending them', async () => {
    const failure = expectFailure(await connect().sendEvents({ agentId: auth.agentId, agentKey: 'x\r\nX-Evil: 1' }, eventBatch), 'unauthorized');
    expect(failure).toMatchObject({ reenroll: true });
    expect(server.seen).toHaveLength(0);
  });

  describe('policy', () => {
    const text = canonicalJson({ ...DEFAULT_POLICY, version: 4, issuedAt: '2026-11-20T00:00:00.000Z' });
    const signed = {
      policy: text,
      signature: sign(null, Buffer.from(text, 'utf8'), policyKeys.privateKey).toString('base64'),
      keyId: policyKeyIdOf(policyKeys.publicKey),
    };

    it('fetches the signed policy with its ETag; it verifies with the enrolled key', async () => {
      server.handle((_req, res) => json(res, 200, signed, { ETag: '"p4"' }));
      const result = await connect().getPolicy(auth, null);
      expect(result).toEqual({ ok: true, value: { notModified: false, signed, etag: '"p4"' } });
      expect(server.seen[0]!.headers['if-none-match']).toBeUndefined();
      if (result.ok && !result.value.notModified) {
        expect(verifySignedPolicy(result.value.signed, policyPublicKeyPem, 3)).toMatchObject({ ok: true, policy: { version: 4 } });
      }
    });

    it('sends If-None-Match and reads 304 as "not modified"', async () => {
      server.handle((req, res) => {
        if (req.headers['if-none-match'] === '"p4"') res.writeHead(304, { ETag: '"p4"' }).end();
        else json(res, 200, signed, { ETag: '"p4"' });
      });
      expect(await connect().getPolicy(auth, '"p4"')).toEqual({ ok: true, value: { notModified: true } });
      expect(server.seen[0]!.headers['if-none-match']).toBe('"p4"');
    });

    it('a 304 when nothing was held is not trusted', async () => {
      server.handle((_req, res) => res.writeHead(304).end());
      expectFailure(await connect().getPolicy(auth, null), 'invalid-response');
    });

    it('an envelope with a malformed signature field is invalid', async () => {
      server.handle((_req, res) => json(res, 200, { ...signed, signature: 'not base64!' }));
      expectFailure(await connect().getPolicy(auth, null), 'invalid-response');
    });
  });

  describe('approval requests', () => {
    const request = {
      id: '018f6b1e-7c3a-7d2e-9a41-3c5b7d9e1f21',
      kind: 'media' as const,
      subject: { vid: '0411', pid: '01e8', serial: '1234567890AB' },
      reason: '会議資料を持ち出すため',
      requestedBy: 'CITY\\yamada',
      periodFrom: '2026-11-20',
      periodTo: '2026-11-27',
    };
    const view = { id: request.id, kind: 'media', status: 'pending', reason: request.reason, createdAt: '2026-11-20T01:00:00.000Z', decidedAt: null, comment: null };

    it('files a request and reads its status', async () => {
      server.handle((req, res) => json(res, req.method === 'POST' ? 201 : 200, req.method === 'POST' ? view : { ...view, status: 'approved', decidedAt: '2026-11-20T02:00:00.000Z', comment: '承認します' }));
      expect(await connect().createRequest(auth, request)).toEqual({ ok: true, value: view });
      const status = await client.getRequest(auth, request.id);
      expect(status.ok && status.value.status).toBe('approved');
      expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual([`POST ${AGENT_ROUTES.requests}`, `GET ${AGENT_ROUTES.requests}/${request.id}`]);
    });

    it('never puts an id that is not a UUID into the URL', async () => {
      const failure = expectFailure(await connect().getRequest(auth, '../../admin/users'), 'bad-request');
      expect(failure).toMatchObject({ status: null });
      expect(server.seen).toHaveLength(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// TLS with a pinned CA. Node cannot create X.509 certificates, so the test CA and the server's
// certificate are made with the openssl CLI.

const run = promisify(execFile);

async function opensslAvailable(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

interface Pki {
  caPem: string;
  otherCaPem: string;
  serverKey: string;
  serverCert: string;
}

async function makeCa(dir: string, name: string): Promise<void> {
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2',
    '-subj', `/O=Mamori test/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function makePki(dir: string): Promise<Pki> {
  await makeCa(dir, 'ca');
  await makeCa(dir, 'other-ca');
  await run('openssl', [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr'), '-subj', '/CN=127.0.0.1',
  ]);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await run('openssl', [
    'x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'),
    '-CAcreateserial', '-out', join(dir, 'server.crt'), '-days', '2', '-extfile', join(dir, 'server.ext'),
  ]);
  return {
    caPem: await readFile(join(dir, 'ca.crt'), 'utf8'),
    otherCaPem: await readFile(join(dir, 'other-ca.crt'), 'utf8'),
    serverKey: await readFile(join(dir, 'server.key'), 'utf8'),
    serverCert: await readFile(join(dir, 'server.crt'), 'utf8'),
  };
}

const haveOpenssl = await opensslAvailable();
if (!haveOpenssl && process.env.CI === 'true') {
  throw new Error('openssl is required for the TLS tests under CI=true (apt-get install -y openssl)');
}
if (!haveOpenssl) console.warn('sync-client: openssl not found; skipping the pinned-CA TLS test');

describe.skipIf(!haveOpenssl)('CollectorClient over TLS with a pinned CA (certificates made with openssl)', () => {
  let dir: string;
  let pki: Pki;
  let server: TestServer;
  const clients: CollectorClient[] = [];
  const connect = (caPem: string | null) => {
    const c = new CollectorClient({ baseUrl: server.url, caPem, timeoutMs: 5_000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mamori-tls-'));
    pki = await makePki(dir);
    server = await listen(https.createServer({ key: pki.serverKey, cert: pki.serverCert, minVersion: 'TLSv1.2' }), 'https', []);
    server.handle((_req, res) => json(res, 200, enrollResponse));
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is accepted with that CA pinned', async () => {
    expect(await connect(pki.caPem).enroll(enrollRequest)).toEqual({ ok: true, value: enrollResponse });
  });

  it('is refused without it (the OS trust store does not know the test CA)', async () => {
    const failure = expectFailure(await connect(null).enroll(enrollRequest), 'network');
    expect(failure).toMatchObject({ reason: 'tls' });
  });

  it('is refused with another CA pinned: only the pinned CA is trusted', async () => {
    const failure = expectFailure(await connect(pki.otherCaPem).enroll(enrollRequest), 'network');
    expect(failure).toMatchObject({ reason: 'tls' });
  });

  it('refuses a pinned CA that is not a certificate when the client is made', () => {
    expect(() => new CollectorClient({ baseUrl: server.url, caPem: 'not a pem' })).toThrow();
  });
});
