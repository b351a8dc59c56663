import { generateKeyPairSync, sign } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyKeyIdOf } from '../../src/agent/policy/verify.js';
import { AgentState, type AgentIdentity, type StateRecovery } from '../../src/agent/sync/state.js';
import { canonicalJson } from '../../src/shared/canonical.js';
import { hashSection } from '../../src/shared/inventory/index.js';
import { DEFAULT_POLICY, type SignedPolicy } from '../../src/shared/policy.js';

const posix = process.platform !== 'win32';

function keys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
const collectorKeys = keys();

function identity(overrides: Partial<AgentIdentity> = {}): AgentIdentity {
  return {
    agentId: '0b7e1c52-4f0e-4d8a-9c4e-2f7d8a1b3c4d',
    agentKey: 'q3Jc0vY2bA8sP1nQ5tR7uW9xZ_aB-cD4eF6gH8iJ0kL',
    policyPublicKey: collectorKeys.pem,
    serverUrl: 'https://mamori.example.lg.jp',
    enrolledAt: '2026-11-20T00:00:00.000Z',
    ...overrides,
  };
}

function signedPolicy(version: number, privateKey = collectorKeys.privateKey, publicKey = collectorKeys.publicKey): SignedPolicy {
  const text = canonicalJson({ ...DEFAULT_POLICY, version, issuedAt: '2026-11-20T00:00:00.000Z' });
  return { policy: text, signature: sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'), keyId: policyKeyIdOf(publicKey) };
}

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

let dir: string;
let recoveries: StateRecovery[];
const openState = () => AgentState.open(dir, { onRecovered: (r) => recoveries.push(r) });

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'mamori-state-')), 'state');
  recoveries = [];
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('AgentState on a fresh directory', () => {
  it('creates the directory private to the agent and knows nothing yet', async () => {
    const state = await openState();
    expect(await state.identity()).toBeNull();
    expect(await state.acknowledgedHashes()).toEqual({});
    expect(await state.appliedPolicy()).toBeNull();
    if (posix) expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(recoveries).toEqual([]);
  });
});

describe('identity', () => {
  it('round-trips, in a file only the agent can read, leaving no temp files', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    expect(await (await openState()).identity()).toEqual(identity());
    if (posix) expect((await stat(join(dir, 'identity.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['identity.json']);
  });

  it('tightens a file that an editor left world-readable when it is rewritten', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await chmod(join(dir, 'identity.json'), 0o644);
    await state.saveIdentity(identity({ enrolledAt: '2026-11-21T00:00:00.000Z' }));
    if (posix) expect((await stat(join(dir, 'identity.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses to store an identity that is not one', async () => {
    const state = await openState();
    await expect(state.saveIdentity(identity({ agentKey: 'short' }))).rejects.toThrow();
    expect(await state.identity()).toBeNull();
  });

  it('drops acknowledged hashes when the agent id changes, keeps them otherwise', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await state.saveAcknowledgedHashes({ software: HASH_A });
    await state.saveIdentity(identity({ enrolledAt: '2026-11-22T00:00:00.000Z' }));
    expect(await state.acknowledgedHashes()).toEqual({ software: HASH_A });
    await state.saveIdentity(identity({ agentId: '11111111-2222-4333-8444-555555555555' }));
    expect(await state.acknowledgedHashes()).toEqual({});
  });

  it('keeps the acknowledged software list with its hash, and forgets a list that does not match it', async () => {
    const state = await openState();
    const software = [
      { id: 'registry-hklm:{ICHITARO}', name: '一太郎2024', version: '34.0.1', publisher: '株式会社ジャストシステム', installDate: null, source: 'registry-hklm' as const, scope: 'system' as const, arch: 'x64', installPath: null, msiProductCode: null, msiUpgradeCode: null, packageFamilyName: null, bundleId: null, packageName: null },
    ];
    await state.saveAcknowledgedHashes({ software: hashSection('software', software), os: HASH_B }, software);
    expect(await state.acknowledged()).toEqual({ hashes: { software: hashSection('software', software), os: HASH_B }, software });
    // Written by a crash-free but buggy past, or edited by hand: the list is not the acknowledged one.
    await state.saveAcknowledgedHashes({ software: HASH_A }, software);
    expect(await state.acknowledged()).toEqual({ hashes: { software: HASH_A }, software: null });
    // No software hash acknowledged: no list kept.
    await state.saveAcknowledgedHashes({ os: HASH_B }, software);
    expect(await state.acknowledged()).toEqual({ hashes: { os: HASH_B }, software: null });
    expect(JSON.parse(await readFile(join(dir, 'acknowledged.json'), 'utf8'))).not.toHaveProperty('software');
  });

  it('drops the applied policy when the collector key changes (it can no longer be verified)', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await state.saveAppliedPolicy(signedPolicy(3), '"v3"');
    const other = keys();
    await state.saveIdentity(identity({ policyPublicKey: other.pem }));
    expect(await state.appliedPolicy()).toBeNull();
    expect(await readdir(dir)).not.toContain('policy.json');
    expect(recoveries).toEqual([]);
  });

  it('forgets the enrolment and the acknowledgements together', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await state.saveAcknowledgedHashes({ os: HASH_B });
    await state.forgetIdentity();
    expect(await state.identity()).toBeNull();
    expect(await state.acknowledgedHashes()).toEqual({});
  });
});

describe('a corrupted identity file means "not enrolled", never a crash', () => {
  const valid = JSON.stringify({ formatVersion: 1, ...identity() });
  const samples: Array<[string, Buffer | string]> = [
    ['empty (created, never written: power lost)', ''],
    ['truncated in the middle', valid.slice(0, Math.floor(valid.length / 2))],
    ['NUL bytes (a file system that zero-fills after a crash)', Buffer.alloc(512)],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['CP932 bytes of 日本語', Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea])],
    ['JSON of the wrong shape', JSON.stringify({ formatVersion: 1, agentId: 'あいうえお' })],
    ['a key that is too short', JSON.stringify({ ...JSON.parse(valid), agentKey: 'abc' })],
    ['a policy key that is not a key', JSON.stringify({ ...JSON.parse(valid), policyPublicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })],
    ['a future format version', JSON.stringify({ ...JSON.parse(valid), formatVersion: 2 })],
    ['JSON null', 'null'],
  ];
  it.each(samples)('%s', async (_name, content) => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'identity.json'), content);
    const state = await openState();
    expect(await state.identity()).toBeNull();
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]!.file).toBe(join(dir, 'identity.json'));
    const files = await readdir(dir);
    expect(files).not.toContain('identity.json');
    const aside = files.find((f) => f.startsWith('identity.json.corrupt-'));
    expect(aside).toBeDefined();
    // moved, not rewritten: the original bytes are kept for diagnosis
    expect(await readFile(join(dir, aside!))).toEqual(Buffer.from(content));
    // and enrolment can start over
    await state.saveIdentity(identity());
    expect(await state.identity()).toEqual(identity());
  });

  it('a directory where the file should be is moved aside too', async () => {
    await mkdir(join(dir, 'identity.json'), { recursive: true });
    const state = await openState();
    expect(await state.identity()).toBeNull();
    expect(recoveries).toHaveLength(1);
    await state.saveIdentity(identity());
    expect(await state.identity()).toEqual(identity());
  });

  it('keeps only the last three corrupted copies', async () => {
    const state = await openState();
    for (let i = 0; i < 5; i++) {
      await writeFile(join(dir, 'identity.json'), `garbage ${i}`);
      expect(await state.identity()).toBeNull();
    }
    const copies = (await readdir(dir)).filter((f) => f.startsWith('identity.json.corrupt-'));
    expect(copies).toHaveLength(3);
  });
});

describe('acknowledged hashes', () => {
  it('round-trip', async () => {
    const state = await openState();
    await state.saveAcknowledgedHashes({ software: HASH_A, os: HASH_B });
    expect(await state.acknowledgedHashes()).toEqual({ software: HASH_A, os: HASH_B });
  });

  it('a truncated file means "nothing acknowledged" (the inventory is sent in full)', async () => {
    const state = await openState();
    await state.saveAcknowledgedHashes({ software: HASH_A });
    const path = join(dir, 'acknowledged.json');
    await truncate(path, 20);
    expect(await state.acknowledgedHashes()).toEqual({});
    expect(recoveries.map((r) => r.file)).toEqual([path]);
  });

  it('refuses hashes for sections that do not exist', async () => {
    const state = await openState();
    await expect(state.saveAcknowledgedHashes({ nonsense: HASH_A } as never)).rejects.toThrow();
  });
});

describe('applied policy', () => {
  it('is stored with its ETag and verified again when loaded', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await state.saveAppliedPolicy(signedPolicy(7), 'W/"policy-7"');
    const applied = await (await openState()).appliedPolicy();
    expect(applied?.document.version).toBe(7);
    expect(applied?.etag).toBe('W/"policy-7"');
    expect(applied?.signed).toEqual(signedPolicy(7));
  });

  it('a stored policy edited on disk (block → audit) fails verification and is moved aside', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await state.saveAppliedPolicy(signedPolicy(7), null);
    const path = join(dir, 'policy.json');
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { signed: SignedPolicy };
    onDisk.signed.policy = onDisk.signed.policy.replace('"report"', '"kill"');
    await writeFile(path, JSON.stringify(onDisk));
    expect(await state.appliedPolicy()).toBeNull();
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]!.reason).toContain('bad-signature');
    expect(await readdir(dir)).not.toContain('policy.json');
  });

  it('is verified once while its bytes and the key stay the same; an edit on disk or another key is checked again', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    await state.saveAppliedPolicy(signedPolicy(7), null);
    const first = await state.appliedPolicy();
    // The same bytes: the very same verified value, not a fresh parse (the sync round reads it twice a round).
    expect(await state.appliedPolicy()).toBe(first);
    expect(first?.document.version).toBe(7);

    // Rewritten by the agent: a new policy is verified.
    await state.saveAppliedPolicy(signedPolicy(8), 'W/"8"');
    const second = await state.appliedPolicy();
    expect(second).not.toBe(first);
    expect(second).toMatchObject({ document: { version: 8 }, etag: 'W/"8"' });

    // Edited on disk after it was verified: refused, as on a fresh start.
    const path = join(dir, 'policy.json');
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { signed: SignedPolicy };
    await writeFile(path, JSON.stringify({ ...onDisk, signed: { ...onDisk.signed, policy: onDisk.signed.policy.replace('"report"', '"kill"') } }));
    expect(await state.appliedPolicy()).toBeNull();
    expect(recoveries.map((r) => r.reason)).toEqual([expect.stringContaining('bad-signature')]);

    // The same (genuine) bytes again, but the identity file now pins another key: not trusted.
    await writeFile(path, JSON.stringify(onDisk));
    expect(await state.appliedPolicy()).toMatchObject({ document: { version: 8 } });
    const other = keys();
    await writeFile(join(dir, 'identity.json'), JSON.stringify({ formatVersion: 1, ...identity({ policyPublicKey: other.pem }) }));
    expect(await state.appliedPolicy()).toBeNull();
    expect(recoveries.at(-1)?.reason).toContain('unknown-key');
  });

  it('a policy signed by another key is not applied', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    const other = keys();
    await state.saveAppliedPolicy(signedPolicy(8, other.privateKey, other.publicKey), null);
    expect(await state.appliedPolicy()).toBeNull();
    expect(recoveries[0]?.reason).toContain('unknown-key');
  });

  it('is not applied without an identity to verify it with', async () => {
    const state = await openState();
    await state.saveAppliedPolicy(signedPolicy(2), null);
    expect(await state.appliedPolicy()).toBeNull();
  });
});

describe('crash leftovers', () => {
  it('removes temp files a crash left behind, and they never shadow the real file', async () => {
    const state = await openState();
    await state.saveIdentity(identity());
    const stale = join(dir, '.identity.json.4242.0123456789ab.tmp');
    const fresh = join(dir, '.identity.json.4243.ba9876543210.tmp');
    await writeFile(stale, '{"formatVersion":1,"agentId":"half-writ');
    await writeFile(fresh, '{');
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(stale, old, old);
    const reopened = await openState();
    const files = await readdir(dir);
    expect(files).not.toContain('.identity.json.4242.0123456789ab.tmp');
    // a recent one may belong to a write in progress elsewhere: left alone
    expect(files).toContain('.identity.json.4243.ba9876543210.tmp');
    expect(await reopened.identity()).toEqual(identity());
    expect(recoveries).toEqual([]);
  });
});
