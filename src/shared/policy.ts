import { z } from 'zod';
import { DEFAULT_PROCESS_INTERVAL_SEC, SoftwareMode, SoftwarePolicy } from './software/rules.js';
import { MediaLedger, TakeOutSettings } from './media/ledger.js';

/**
 * The policy the collector signs and every agent applies. Issues that own a part (removable
 * media, software rules) refine their part; the envelope stays: a signed, versioned document so
 * that a local user cannot forge an allowlist.
 */
export const MediaMode = z.enum(['audit', 'warn', 'block']);
export { SoftwareMode };

export const PolicySchedule = z.object({
  /** Seconds between routine inventories (default hourly). */
  inventoryIntervalSec: z.number().int().min(60).max(7 * 24 * 3600),
  /** Random spread, as a fraction of the interval, so that a fleet does not check in at once. */
  splay: z.number().min(0).max(0.5),
  /** Seconds between event/policy syncs. */
  syncIntervalSec: z.number().int().min(10).max(24 * 3600),
});

export const PolicyDocument = z.object({
  /** Monotonic: a policy with a lower version than the one applied is refused (replay). */
  version: z.number().int().positive(),
  issuedAt: z.iso.datetime(),
  schedule: PolicySchedule,
  ui: z.object({ lang: z.enum(['ja', 'en']) }),
  media: z.object({
    mode: MediaMode,
    /** Registered media (外部記録媒体管理台帳): see media/ledger.ts. */
    registered: MediaLedger,
    /** Take-out record settings; absent: the agent's defaults (hash files up to 256 MiB). */
    takeOut: TakeOutSettings.optional(),
  }),
  /** Software rules (許可 / 禁止ソフトウェア) and what to do about violations: see software/rules.ts. */
  software: SoftwarePolicy,
});
export type PolicyDocument = z.infer<typeof PolicyDocument>;

/** What the agent receives: the policy's canonical JSON text and the collector's Ed25519 signature of it. */
export const SignedPolicy = z.object({
  /** RFC 8785 canonical JSON of a PolicyDocument: the exact bytes that were signed. */
  policy: z.string().max(32 * 1024 * 1024),
  /** Base64 Ed25519 signature of the UTF-8 bytes of `policy`. */
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(200),
  /** Identifies the collector key that signed it (SHA-256 of the public key, hex, first 16 chars). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
});
export type SignedPolicy = z.infer<typeof SignedPolicy>;

export const DEFAULT_POLICY: Omit<PolicyDocument, 'version' | 'issuedAt'> = {
  schedule: { inventoryIntervalSec: 3600, splay: 0.1, syncIntervalSec: 60 },
  ui: { lang: 'ja' },
  media: { mode: 'audit', registered: [] },
  software: { mode: 'report', stance: 'denylist', rules: [], processIntervalSec: DEFAULT_PROCESS_INTERVAL_SEC },
};
