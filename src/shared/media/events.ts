import { z } from 'zod';
import { DENIAL_REASONS } from './evaluate.js';
import { MediumIdentity } from './identity.js';

/**
 * The payloads of the removable-media events (media.*), as the agent records them and the
 * collector and console read them. Every string in them was cleaned by the agent (device text).
 */

const Reason = z.enum(['registered', 'registered-read-only', ...DENIAL_REASONS]);
const Verdict = z.enum(['allowed', 'read-only', 'denied']);
const Action = z.enum(['allow', 'record', 'warn', 'block', 'remount-read-only']);
const Mode = z.enum(['audit', 'warn', 'block']);

export const MediaDecisionPayload = z.object({
  verdict: Verdict,
  reason: Reason,
  action: Action,
  ledgerNumber: z.string().max(64).nullable(),
  ledgerAmbiguous: z.boolean(),
});

/**
 * One step the agent took to enforce a decision, and how it went. `hold`: the agent keeps the
 * medium from being mounted while it is blocked (Linux: an exclusive open of the disk, which the
 * kernel's mount cannot share).
 */
export const EnforcementStep = z.object({
  step: z.enum(['unmount', 'power-off', 'eject', 'remount-read-only', 'hold']),
  target: z.string().max(4096),
  ok: z.boolean(),
  /** busy, not-authorized, gone, not-supported, failed (with the tool's message) when not ok. */
  problem: z.string().max(64).nullable(),
  message: z.string().max(512).nullable(),
});
export type EnforcementStep = z.infer<typeof EnforcementStep>;

export const MediaInsertedPayload = z.object({
  medium: MediumIdentity,
  /** This plug-in of the medium (the OS device and sequence): tells two plug-ins of one medium apart. */
  instance: z.string().max(256),
  mode: Mode,
  decision: MediaDecisionPayload,
  /** arrived: plugged in while the agent ran; present: already there when the agent started. */
  seen: z.enum(['arrived', 'present']),
});

export const MediaRemovedPayload = z.object({
  key: z.string().max(1024),
  instance: z.string().max(256),
  product: z.string().max(256).nullable(),
  ledgerNumber: z.string().max(64).nullable(),
  /** How long it was connected while the agent watched. */
  connectedMs: z.number().int().nonnegative(),
  /** The person chose 取り外す in the prompt. */
  ejectedByUser: z.boolean(),
});

export const MediaBlockedPayload = z.object({
  medium: MediumIdentity,
  instance: z.string().max(256),
  mode: Mode,
  decision: MediaDecisionPayload,
  /** Why now: it arrived, was mounted again, a new policy no longer allows it, or it is read-only and could not be made so. */
  cause: z.enum(['arrival', 'remounted', 'policy', 'read-only-not-enforceable']),
  steps: z.array(EnforcementStep).max(64),
  /** True when it is no longer usable (every mount gone); false when enforcement failed. */
  enforced: z.boolean(),
});

export const MediaApprovedPayload = z.object({
  key: z.string().max(1024),
  instance: z.string().max(256),
  product: z.string().max(256).nullable(),
  ledgerNumber: z.string().max(64).nullable(),
  verdict: Verdict,
  previousReason: Reason,
  /** The request (使用申請) this PC filed for it, when there was one. */
  requestId: z.string().max(64).nullable(),
});

export const HASH_SKIPPED = ['too-large', 'changed-while-hashing', 'volume-gone', 'unreadable'] as const;

export const MediaFileWrittenPayload = z.object({
  key: z.string().max(1024),
  ledgerNumber: z.string().max(64).nullable(),
  volume: z.object({
    label: z.string().max(256).nullable(),
    volumeId: z.string().max(128).nullable(),
    mountPoint: z.string().max(4096),
  }),
  /** Path on the medium, relative to its mount point, with / as separator. */
  path: z.string().max(4096),
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** Lower-case hex SHA-256 of the content; null when not hashed (see hashSkipped). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  hashSkipped: z.enum(HASH_SKIPPED).nullable(),
  /** The file's modification time as the medium's file system reports it. */
  modifiedAt: z.iso.datetime().nullable(),
});

/** Written when more writes came than the agent can follow: how many file paths it could not record one by one. */
export const MediaWritesDroppedPayload = z.object({
  key: z.string().max(1024),
  ledgerNumber: z.string().max(64).nullable(),
  volume: z.object({ label: z.string().max(256).nullable(), volumeId: z.string().max(128).nullable(), mountPoint: z.string().max(4096) }),
  droppedPaths: z.number().int().positive(),
});

export type MediaInsertedPayload = z.infer<typeof MediaInsertedPayload>;
export type MediaRemovedPayload = z.infer<typeof MediaRemovedPayload>;
export type MediaBlockedPayload = z.infer<typeof MediaBlockedPayload>;
export type MediaApprovedPayload = z.infer<typeof MediaApprovedPayload>;
export type MediaFileWrittenPayload = z.infer<typeof MediaFileWrittenPayload>;
export type MediaWritesDroppedPayload = z.infer<typeof MediaWritesDroppedPayload>;

/** A media.file_written payload: one file, or the count of paths that could not be followed one by one. */
export const MediaFileWrittenEvent = z.union([MediaFileWrittenPayload, MediaWritesDroppedPayload]);
export type MediaFileWrittenEvent = z.infer<typeof MediaFileWrittenEvent>;
