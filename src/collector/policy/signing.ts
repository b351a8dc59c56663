import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical.js';
import { PolicyDocument, type SignedPolicy } from '../../shared/policy.js';

/** The collector's policy-signing key pair, as PEM text (PKCS#8 private, SPKI public). */
export interface PolicyKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** A fresh Ed25519 key pair; the collector makes one on first start and keeps it in its store. */
export function generatePolicyKeyPair(): PolicyKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** First 16 hex characters of the SHA-256 of the public key's DER form: names the key in a SignedPolicy. */
export function policyKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/**
 * Signs a policy: validates it, serialises it canonically (RFC 8785) and signs those exact bytes
 * with Ed25519. The agent verifies the same bytes before it parses them.
 */
export function signPolicy(policy: PolicyDocument, keys: PolicyKeyPair): SignedPolicy {
  const text = canonicalJson(PolicyDocument.parse(policy));
  const signature = sign(null, Buffer.from(text, 'utf8'), createPrivateKey(keys.privateKeyPem)).toString('base64');
  return { policy: text, signature, keyId: policyKeyId(keys.publicKeyPem) };
}
