import { z } from 'zod';
import { DEFAULT_POLICY, PolicyDocument, type SignedPolicy } from '../../shared/policy.js';
import { sha256Hex } from '../../shared/canonical.js';
import { ConflictError, type Store, type StoredPolicy } from '../store/index.js';
import { generatePolicyKeyPair, policyKeyId, signPolicy, type PolicyKeyPair } from './signing.js';

const SIGNING_KEY_SETTING = 'policy-signing-key';
const KeyPairSchema = z.object({ publicKeyPem: z.string().min(1), privateKeyPem: z.string().min(1) });

/**
 * The collector's policy-signing key: made on first start and kept in the store, so that every
 * collector process on one database signs with the same key.
 */
export async function loadPolicyKeys(store: Store): Promise<PolicyKeyPair> {
  const text = await store.getOrCreateSetting(SIGNING_KEY_SETTING, () => JSON.stringify(generatePolicyKeyPair()));
  return KeyPairSchema.parse(JSON.parse(text));
}

/** The strong ETag of a signed policy: its version and a hash of the signed text. */
export function policyEtag(version: number, signedText: string): string {
  return `"v${version}-${sha256Hex(signedText).slice(0, 16)}"`;
}

/** Signs and saves a new version of the policy; ConflictError when another process saved that version first. */
export async function publishPolicy(
  store: Store,
  keys: PolicyKeyPair,
  content: Omit<PolicyDocument, 'version' | 'issuedAt'>,
  now: Date = new Date(),
): Promise<StoredPolicy> {
  const current = await store.getCurrentPolicy();
  const version = (current?.version ?? 0) + 1;
  const signed = signPolicy({ ...content, version, issuedAt: now.toISOString() }, keys);
  return store.savePolicy({
    scope: 'default',
    version,
    document: signed.policy,
    signature: signed.signature,
    keyId: signed.keyId,
    etag: policyEtag(version, signed.policy),
  });
}

/** The policy's content without its envelope (version and issue time). */
export type PolicyContent = Omit<PolicyDocument, 'version' | 'issuedAt'>;

/** The content of a signed policy's document text. */
export function policyContent(documentText: string): PolicyContent {
  const { version: _version, issuedAt: _issuedAt, ...content } = PolicyDocument.parse(JSON.parse(documentText));
  return content;
}

/**
 * Applies `change` to the newest policy and publishes the result as the next signed version. When
 * another collector process published a version meanwhile, the change is applied again on top of
 * theirs, so concurrent admin changes are never lost.
 */
export async function updatePolicy(
  store: Store,
  keys: PolicyKeyPair,
  change: (content: PolicyContent) => PolicyContent,
): Promise<StoredPolicy> {
  for (let attempt = 0; ; attempt++) {
    const current = await currentPolicy(store, keys);
    try {
      return await publishPolicy(store, keys, change(policyContent(current.document)));
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 5) throw error;
    }
  }
}

/** The current policy, publishing the default one (version 1) when none exists yet. */
export async function currentPolicy(store: Store, keys: PolicyKeyPair): Promise<StoredPolicy> {
  const existing = await store.getCurrentPolicy();
  if (existing) return existing;
  try {
    return await publishPolicy(store, keys, DEFAULT_POLICY);
  } catch (error) {
    // Another collector process published version 1 at the same moment: use theirs.
    if (error instanceof ConflictError) {
      const theirs = await store.getCurrentPolicy();
      if (theirs) return theirs;
    }
    throw error;
  }
}

/** The policy as agents receive it. */
export function toSignedPolicy(policy: StoredPolicy): SignedPolicy {
  return { policy: policy.document, signature: policy.signature, keyId: policy.keyId };
}

export { policyKeyId };
