import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Agent credentials. The key is 256 random bits, shown to the agent once at enrolment and stored
 * only as its SHA-256 (a slow KDF adds nothing for a random 256-bit secret, and agent requests
 * are frequent). The same holds for enrolment secrets.
 */
export function newAgentKey(): string {
  return randomBytes(32).toString('base64url');
}

export function newAgentId(): string {
  return randomUUID();
}

/** A new enrolment secret for the managed config (192 bits, base64url). */
export function newEnrollSecret(): string {
  return `mes_${randomBytes(24).toString('base64url')}`;
}

/** SHA-256 hex of a secret (agent key or enrolment secret), the form the store keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const BEARER = /^Bearer ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** Splits `Authorization: Bearer <agentId>.<agentKey>`; null when the header is absent or malformed. */
export function parseAgentAuthorization(header: string | undefined): { agentId: string; agentKey: string } | null {
  if (!header || header.length > 200) return null;
  const m = BEARER.exec(header.trim());
  return m ? { agentId: m[1]!, agentKey: m[2]! } : null;
}
