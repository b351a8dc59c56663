import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { policyKeyIdOf, verifySignedPolicy } from '../../src/agent/policy/verify.js';
import { canonicalJson } from '../../src/shared/canonical.js';
import { DEFAULT_POLICY, type PolicyDocument, type SignedPolicy } from '../../src/shared/policy.js';
import type { RegisteredMedium } from '../../src/shared/media/ledger.js';

// Real Ed25519 keys, generated per run; signing done here as the collector does it (canonical
// JSON, signature over its UTF-8 bytes, keyId = first 16 hex of SHA-256 of the SPKI DER).
function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey, privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
const collector = keyPair();
const stranger = keyPair();

function policy(version: number, overrides: Partial<PolicyDocument> = {}): PolicyDocument {
  return { ...DEFAULT_POLICY, version, issuedAt: '2026-11-20T01:02:03.000Z', ...overrides };
}

function signText(text: string, privateKey: KeyObject, keyIdOf: KeyObject = collector.publicKey): SignedPolicy {
  return {
    policy: text,
    signature: sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
    keyId: policyKeyIdOf(keyIdOf),
  };
}
const signed = (doc: unknown, privateKey = collector.privateKey) => signText(canonicalJson(doc), privateKey);

describe('verifySignedPolicy', () => {
  it('accepts a policy signed by the pinned key and returns the parsed document', () => {
    const result = verifySignedPolicy(signed(policy(3)), collector.publicKeyPem, null);
    expect(result).toMatchObject({ ok: true, policy: { version: 3, media: { mode: 'audit' } } });
  });

  it('verifies the UTF-8 bytes of Japanese text (registered media with 日本語 names)', () => {
    const entry: RegisteredMedium = {
      number: '総務-001', key: 'usb:0781:5567:4C530001230101116172', bus: 'usb', vendorId: '0781', productId: '5567',
      serial: '4C530001230101116172', capacityBytes: 4004511744, productName: 'Cruzer Blade', department: '総務課', owner: '山田 太郎',
      allowedUsers: [], allowedPcs: [], validFrom: null, validUntil: null, access: 'read-write',
      registeredAt: '2026-04-01T00:00:00.000Z', revokedAt: null, requestId: null, note: null,
    };
    const doc = policy(4, { media: { mode: 'block', registered: [entry] } });
    const result = verifySignedPolicy(signed(doc), collector.publicKeyPem, 3);
    expect(result.ok && result.policy.media.registered[0]).toEqual(entry);
  });

  it('accepts the same version again (re-verified at every start)', () => {
    expect(verifySignedPolicy(signed(policy(5)), collector.publicKeyPem, 5).ok).toBe(true);
  });

  const refusals: Array<[string, () => unknown, string, number | null, string]> = [
    ['tampered text: block switched to audit after signing', () => {
      const s = signed(policy(2, { media: { mode: 'block', registered: [] } }));
      return { ...s, policy: s.policy.replace('"block"', '"audit"') };
    }, collector.publicKeyPem, null, 'bad-signature'],
    ['tampered text: one trailing space', () => {
      const s = signed(policy(2));
      return { ...s, policy: `${s.policy} ` };
    }, collector.publicKeyPem, null, 'bad-signature'],
    ['tampered signature: one byte flipped', () => {
      const s = signed(policy(2));
      const sig = Buffer.from(s.signature, 'base64');
      sig[10] = sig[10]! ^ 0x01;
      return { ...s, signature: sig.toString('base64') };
    }, collector.publicKeyPem, null, 'bad-signature'],
    ['truncated signature', () => {
      const s = signed(policy(2));
      return { ...s, signature: Buffer.from(s.signature, 'base64').subarray(0, 63).toString('base64') };
    }, collector.publicKeyPem, null, 'bad-signature'],
    ['signed by another key that claims the pinned keyId', () => signText(canonicalJson(policy(2)), stranger.privateKey), collector.publicKeyPem, null, 'bad-signature'],
    ['signed by another key under its own keyId', () => signText(canonicalJson(policy(2)), stranger.privateKey, stranger.publicKey), collector.publicKeyPem, null, 'unknown-key'],
    ['the right signature but pinned to another key', () => signed(policy(2)), stranger.publicKeyPem, null, 'unknown-key'],
    ['replayed: an older, genuinely signed version', () => signed(policy(6)), collector.publicKeyPem, 7, 'replayed'],
    ['signed text that is not JSON', () => signText('{"version": 9,', collector.privateKey), collector.publicKeyPem, null, 'invalid-json'],
    ['signed JSON that is not a policy (mode "lock" is unknown)', () => signed({ ...policy(2), media: { mode: 'lock', registered: [] } }), collector.publicKeyPem, null, 'invalid-policy'],
    ['signed JSON with version 0', () => signed({ ...policy(1), version: 0 }), collector.publicKeyPem, null, 'invalid-policy'],
    ['signed JSON that is an array', () => signText('[]', collector.privateKey), collector.publicKeyPem, null, 'invalid-policy'],
    ['an envelope without signature', () => ({ policy: '{}', keyId: policyKeyIdOf(collector.publicKey) }), collector.publicKeyPem, null, 'invalid-envelope'],
    ['an envelope that is a string', () => 'policy', collector.publicKeyPem, null, 'invalid-envelope'],
    ['a pinned key that is not PEM', () => signed(policy(2)), 'garbage', null, 'bad-public-key'],
    ['a pinned key that is RSA, not Ed25519', () => signed(policy(2)),
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), null, 'bad-public-key'],
  ];
  it.each(refusals)('refuses %s', (_name, candidate, pinned, applied, refusal) => {
    const result = verifySignedPolicy(candidate(), pinned, applied);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.refusal).toBe(refusal);
      expect(result.message.length).toBeGreaterThan(0);
    }
  });

  it('checks the signature before it parses the text (a forged body never reaches JSON.parse)', () => {
    const forged = { ...signed(policy(2)), policy: '{not json' };
    const result = verifySignedPolicy(forged, collector.publicKeyPem, null);
    expect(!result.ok && result.refusal).toBe('bad-signature');
  });
});

describe('policyKeyIdOf', () => {
  it('names a key by 16 hex characters, different for different keys', () => {
    expect(policyKeyIdOf(collector.publicKey)).toMatch(/^[0-9a-f]{16}$/);
    expect(policyKeyIdOf(collector.publicKey)).not.toBe(policyKeyIdOf(stranger.publicKey));
  });
});

describe('the contract with the collector', () => {
  it('verifies what the collector signs, and names its key the same way', async () => {
    const { generatePolicyKeyPair, policyKeyId, signPolicy } = await import('../../src/collector/policy/signing.js');
    const keys = generatePolicyKeyPair();
    const fromCollector = signPolicy(policy(11), keys);
    const result = verifySignedPolicy(fromCollector, keys.publicKeyPem, 10);
    expect(result.ok && result.policy.version).toBe(11);
    expect(fromCollector.keyId).toBe(policyKeyId(keys.publicKeyPem));
  });
});
