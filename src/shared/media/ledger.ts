import { z } from 'zod';
import { MEDIUM_BUSES, MediumIdentity, normalizeSerial, serialKey } from './identity.js';
import { deviceText } from './text.js';

/**
 * The registered-media ledger (外部記録媒体管理台帳) as the signed policy carries it: one entry per
 * registered medium (登録媒体), kept by administrators, never deleted (a revoked entry stays, marked).
 */

/** 登録番号: letters, digits and . _ / - (e.g. USB-0012, 総務-3), at most 64 characters. */
export const LedgerNumber = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}._/-]{0,63}$/u, 'letters, digits and . _ / -, at most 64');

const UsbId = z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits');
const Name = z.string().min(1).max(256);

export const MEDIUM_ACCESS = ['read-write', 'read-only'] as const;
export type MediumAccess = (typeof MEDIUM_ACCESS)[number];

export const RegisteredMedium = z
  .object({
    /** 登録番号 (管理番号). */
    number: LedgerNumber,
    /** The medium's identity key (see mediumKey): what the agent matches on. */
    key: z.string().min(1).max(1024),
    bus: z.enum(MEDIUM_BUSES),
    vendorId: UsbId.nullable(),
    productId: UsbId.nullable(),
    /** 製造番号(シリアル), normalised. */
    serial: z.string().max(256).nullable(),
    capacityBytes: z.number().int().nonnegative().nullable(),
    /** 製品名. */
    productName: z.string().max(256).nullable(),
    /** 所属 (課等). */
    department: z.string().max(256).nullable(),
    /** 管理者: who answers for the medium. */
    owner: z.string().max(256).nullable(),
    /** OS accounts that may use it; empty: anyone (e.g. the whole department's shared stick). */
    allowedUsers: z.array(Name).max(1000),
    /** PCs where it may be used, by host name or agent id; empty: any PC. */
    allowedPcs: z.array(Name).max(1000),
    /** 有効期間: first and last day (inclusive, the PC's calendar); null: open. */
    validFrom: z.iso.date().nullable(),
    validUntil: z.iso.date().nullable(),
    access: z.enum(MEDIUM_ACCESS),
    registeredAt: z.iso.datetime(),
    /** Set when an administrator revoked it (廃止); the entry stays for the record. */
    revokedAt: z.iso.datetime().nullable(),
    /** The approval request (使用申請) it came from, if any. */
    requestId: z.string().max(64).nullable(),
    note: z.string().max(1000).nullable(),
  })
  .refine((e) => e.validFrom === null || e.validUntil === null || e.validFrom <= e.validUntil, {
    message: 'validUntil is before validFrom',
    path: ['validUntil'],
  });
export type RegisteredMedium = z.infer<typeof RegisteredMedium>;

/** How the take-out record (持ち出し記録) hashes what is written to a medium. */
export const TakeOutSettings = z.object({
  /** Files up to this size get a SHA-256; larger ones are recorded with their size only. */
  hashMaxBytes: z.number().int().min(0).max(64 * 1024 ** 3),
});
export type TakeOutSettings = z.infer<typeof TakeOutSettings>;

export const DEFAULT_HASH_MAX_BYTES = 256 * 1024 * 1024;

/**
 * What a media approval request (使用申請) asks for: the medium's identity as the agent saw it, and
 * whether only reading is wanted. The collector validates a request's subject with it before an
 * approval can register anything.
 */
export const MediumRequestSubject = z.object({
  medium: MediumIdentity,
  access: z.enum(MEDIUM_ACCESS).optional(),
});
export type MediumRequestSubject = z.infer<typeof MediumRequestSubject>;

/** The next free 登録番号 with this prefix: one past the highest number in use (M-0001, M-0002, …). */
export function nextLedgerNumber(entries: readonly Pick<RegisteredMedium, 'number'>[], prefix = 'M'): string {
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}-(\\d+)$`, 'u');
  let highest = 0;
  for (const e of entries) {
    const m = re.exec(e.number);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  return `${prefix}-${String(highest + 1).padStart(4, '0')}`;
}

export interface ApprovedMediumRequest {
  requestId: string;
  subject: Record<string, unknown>;
  /** The OS user who asked; the approval allows that user. */
  requestedBy: string;
  /** The PC (agent id) it was asked from; the approval allows that PC. */
  deviceId: string;
  period: { from: string; until: string | null } | null;
  /** When it was decided (or filed): the entry's registration time and, without a period, its first day. */
  at: string;
}

/**
 * The ledger entry an approved media request (使用申請 → 承認) adds: the medium as the request
 * describes it, for the requesting user on the requesting PC, for the requested period,
 * read-write unless read-only was asked. Throws (a zod error) when the subject is not a medium.
 */
export function entryFromApprovedRequest(existing: readonly RegisteredMedium[], request: ApprovedMediumRequest): RegisteredMedium {
  const subject = MediumRequestSubject.parse(request.subject);
  const medium = subject.medium;
  const day = (iso: string) => iso.slice(0, 10);
  const from = request.period ? day(request.period.from) : day(request.at);
  const entry: RegisteredMedium = {
    number: nextLedgerNumber(existing),
    key: medium.key,
    bus: medium.bus,
    vendorId: medium.vendorId,
    productId: medium.productId,
    serial: medium.serial,
    capacityBytes: medium.capacityBytes,
    productName: deviceText([medium.vendor, medium.product].filter(Boolean).join(' ')) ?? null,
    department: null,
    owner: deviceText(request.requestedBy),
    allowedUsers: [request.requestedBy],
    allowedPcs: [request.deviceId],
    validFrom: from,
    validUntil: request.period?.until ? day(request.period.until) : null,
    access: subject.access ?? 'read-write',
    registeredAt: new Date(request.at).toISOString(),
    revokedAt: null,
    requestId: request.requestId,
    note: null,
  };
  return RegisteredMedium.parse(entry);
}

export interface ManualRegistration {
  number?: string;
  key?: string;
  bus?: (typeof MEDIUM_BUSES)[number];
  vendorId?: string | null;
  productId?: string | null;
  serial?: string | null;
  capacityBytes?: number | null;
  productName?: string | null;
  department?: string | null;
  owner?: string | null;
  allowedUsers?: string[];
  allowedPcs?: string[];
  validFrom?: string | null;
  validUntil?: string | null;
  access?: MediumAccess;
  note?: string | null;
}

/**
 * A ledger entry an administrator registers by hand or by import: the key is given (copied from an
 * event or request) or made from bus, VID, PID and serial. Throws a zod error naming what is wrong.
 */
export function entryFromRegistration(existing: readonly RegisteredMedium[], input: ManualRegistration, now: string): RegisteredMedium {
  const bus = input.bus ?? 'usb';
  const vendorId = input.vendorId ? input.vendorId.toLowerCase().replace(/^0x/, '').padStart(4, '0') : null;
  const productId = input.productId ? input.productId.toLowerCase().replace(/^0x/, '').padStart(4, '0') : null;
  const serial = input.serial ? normalizeSerial(input.serial) : null;
  const key = input.key?.trim() || serialKey({ bus, vendorId, productId, serial });
  if (!key) {
    throw new z.ZodError([{ code: 'custom', path: ['serial'], message: 'give the serial (with vendor and product id) or the identity key', input: input.serial }]);
  }
  return RegisteredMedium.parse({
    number: input.number ?? nextLedgerNumber(existing),
    key,
    bus,
    vendorId,
    productId,
    serial,
    capacityBytes: input.capacityBytes ?? null,
    productName: input.productName ?? null,
    department: input.department ?? null,
    owner: input.owner ?? null,
    allowedUsers: input.allowedUsers ?? [],
    allowedPcs: input.allowedPcs ?? [],
    validFrom: input.validFrom ?? null,
    validUntil: input.validUntil ?? null,
    access: input.access ?? 'read-write',
    registeredAt: now,
    revokedAt: null,
    requestId: null,
    note: input.note ?? null,
  });
}

/** The whole ledger: at most 100 000 entries, each 登録番号 once. */
export const MediaLedger = z
  .array(RegisteredMedium)
  .max(100_000)
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (seen.has(e.number)) ctx.addIssue({ code: 'custom', path: [i, 'number'], message: `登録番号 ${e.number} is used twice` });
      seen.add(e.number);
    });
  });
