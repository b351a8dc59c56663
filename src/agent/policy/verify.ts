import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { PolicyDocument, SignedPolicy } from '../../shared/policy.js';

/**
 * Checks a policy from the collector (or from the agent's own state dir) before anything in it is
 * believed: the Ed25519 signature over the exact UTF-8 bytes of `policy` first, then JSON, then the
 * schema, then the version. A local user can write files and run a fake server; they cannot sign.
 */

export type PolicyRefusal =
  /** The pinned public key is not an Ed25519 SPKI PEM: the state is broken, enrol again. */
  | 'bad-public-key'
  /** The envelope does not match the SignedPolicy schema. */
  | 'invalid-envelope'
  /** Signed by another key than the one pinned at enrolment. */
  | 'unknown-key'
  | 'bad-signature'
  | 'invalid-json'
  | 'invalid-policy'
  /** Older than the policy already applied: an old, genuinely signed policy played back. */
  | 'replayed';

export type PolicyVerification =
  | { ok: true; policy: PolicyDocument; signed: SignedPolicy }
  | { ok: false; refusal: PolicyRefusal; message: string };

const ED25519_SIGNATURE_BYTES = 64;

/** First 16 hex characters of the SHA-256 of the key's SPKI DER: the collector names its key so. */
export function policyKeyIdOf(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function refuse(refusal: PolicyRefusal, message: string): PolicyVerification {
  return { ok: false, refusal, message };
}

/** Whether a PEM text is an Ed25519 public key (what enrolment pins for policies). */
export function isEd25519PublicKey(publicKeyPem: string): boolean {
  return ed25519Key(publicKeyPem) !== null;
}

function ed25519Key(publicKeyPem: string): KeyObject | null {
  try {
    const key = createPublicKey(publicKeyPem);
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

/**
 * Verifies `candidate` (any value: it is validated here) against the public key pinned at
 * enrolment. `appliedVersion` is the version in force now (null when none): a lower version is
 * refused, the same version is accepted (it is re-verified on every start). Never throws.
 */
export function verifySignedPolicy(
  candidate: unknown,
  publicKeyPem: string,
  appliedVersion: number | null,
): PolicyVerification {
  const key = ed25519Key(publicKeyPem);
  if (!key) return refuse('bad-public-key', 'the pinned policy key is not an Ed25519 public key');

  const envelope = SignedPolicy.safeParse(candidate);
  if (!envelope.success) return refuse('invalid-envelope', `not a signed policy: ${envelope.error.issues[0]?.message ?? 'invalid'}`);
  const signed = envelope.data;

  const pinnedKeyId = policyKeyIdOf(key);
  if (signed.keyId !== pinnedKeyId) {
    return refuse('unknown-key', `signed by key ${signed.keyId}, but the pinned key is ${pinnedKeyId}`);
  }

  const signature = Buffer.from(signed.signature, 'base64');
  let valid = false;
  if (signature.length === ED25519_SIGNATURE_BYTES) {
    try {
      valid = verify(null, Buffer.from(signed.policy, 'utf8'), key, signature);
    } catch {
      valid = false;
    }
  }
  if (!valid) return refuse('bad-signature', 'the signature does not match the policy text');

  let json: unknown;
  try {
    json = JSON.parse(signed.policy);
  } catch (error) {
    return refuse('invalid-json', `the signed policy is not JSON: ${(error as Error).message}`);
  }
  const document = PolicyDocument.safeParse(json);
  if (!document.success) {
    const issue = document.error.issues[0];
    return refuse('invalid-policy', `the signed policy does not match the schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }

  if (appliedVersion !== null && document.data.version < appliedVersion) {
    return refuse('replayed', `policy version ${document.data.version} is older than the applied version ${appliedVersion}`);
  }
  return { ok: true, policy: document.data, signed };
}
