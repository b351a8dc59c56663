import type { CollectContext, Posture } from '../types.js';
import { isoFromEpochMs, epochSecondsToMs } from './command.js';
import type { FileReader } from './files.js';
import { unitStates, type UnitState } from './systemd.js';

export type Antivirus = Posture['antivirus'];

// Linux has no registry of antivirus products (nothing like Windows Security Center), so the
// agent looks for the one scanner a Debian/Fedora desktop is likely to carry: ClamAV.
export const CLAMAV_PROGRAMS: readonly string[] = [
  '/usr/sbin/clamd',
  '/usr/bin/clamscan',
  '/usr/bin/clamdscan',
  '/usr/bin/freshclam',
  '/usr/sbin/clamonacc',
];
export const CLAMAV_DAILY_DATABASES: readonly string[] = ['/var/lib/clamav/daily.cld', '/var/lib/clamav/daily.cvd'];
// On-access scanning is what makes ClamAV real-time protection; clamd alone only answers requests.
export const CLAMAV_ON_ACCESS_UNITS: readonly string[] = ['clamav-clamonacc', 'clamonacc'];
// ClamAV itself warns "The virus database is older than 7 days!" past this age.
export const SIGNATURE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** What the 512-byte header of a ClamAV database (.cvd or .cld) says. */
export interface CvdHeader {
  version: number | null;
  /** When the definitions were built, epoch milliseconds. */
  builtAtMs: number | null;
}

/**
 * Parses a ClamAV database header:
 * `ClamAV-VDB:16 Apr 2020 07-58 -0400:25784:2267600:63:<md5>:<dsig>:raynman:1587038339`.
 * The build time comes from the trailing epoch, else from the `%d %b %Y %H-%M %z` field.
 * Returns null when the bytes are not a ClamAV database header.
 */
export function parseCvdHeader(head: Buffer): CvdHeader | null {
  const textHead = head.subarray(0, 512).toString('latin1');
  if (!textHead.startsWith('ClamAV-VDB:')) return null;
  const fields = textHead.replace(/[\s\0]+$/, '').split(':');
  const version = /^\d+$/.test(fields[2] ?? '') ? Number(fields[2]) : null;
  let builtAtMs = fields.length >= 9 ? epochSecondsToMs(fields[8]) : null;
  if (builtAtMs === null) builtAtMs = parseBuildTime(fields[1] ?? '');
  return { version, builtAtMs };
}

function parseBuildTime(value: string): number | null {
  const match = /^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2})-(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(value.trim());
  if (!match) return null;
  const [, day, mon, year, hour, minute, sign, offH, offM] = match;
  const month = MONTHS.indexOf(mon ?? '');
  if (month < 0) return null;
  const local = Date.UTC(Number(year), month, Number(day), Number(hour), Number(minute));
  const offsetMs = (Number(offH) * 60 + Number(offM)) * 60_000 * (sign === '-' ? -1 : 1);
  const ms = local - offsetMs;
  return Number.isFinite(ms) ? ms : null;
}

/** What the agent found out about ClamAV on this machine. */
export interface ClamAvFacts {
  installed: boolean;
  /** Newest build time of the daily definitions, epoch ms, when a database header was readable. */
  signaturesBuiltAtMs: number | null;
  /** State of the on-access scanner units, null when systemd could not be asked. */
  onAccessUnits: Record<string, UnitState> | null;
}

/**
 * Decides the antivirus posture. Without ClamAV the answer is `unknown` with no product: the
 * machine may well run a scanner the agent cannot see, so "off" would be a guess.
 */
export function antivirusFrom(facts: ClamAvFacts, now: Date): Antivirus {
  if (!facts.installed) return { state: 'unknown', products: [] };
  const enabled =
    facts.onAccessUnits === null ? null : Object.values(facts.onAccessUnits).some((state) => state === 'active');
  const builtAt = facts.signaturesBuiltAtMs;
  const upToDate = builtAt === null ? null : now.getTime() - builtAt <= SIGNATURE_MAX_AGE_MS;
  return {
    state: enabled === null ? 'unknown' : enabled ? 'on' : 'off',
    products: [{ name: 'ClamAV', enabled, upToDate, signatureUpdatedAt: isoFromEpochMs(builtAt) }],
  };
}

/** Looks for ClamAV's programs, its daily database header and its on-access scanner. */
export async function collectAntivirus(ctx: CollectContext, files: FileReader): Promise<Antivirus> {
  const present = await Promise.all(CLAMAV_PROGRAMS.map((path) => files.stat(path)));
  const installed = present.some((facts) => facts !== null);
  if (!installed) return antivirusFrom({ installed, signaturesBuiltAtMs: null, onAccessUnits: null }, ctx.now());
  let newest: number | null = null;
  for (const path of CLAMAV_DAILY_DATABASES) {
    const head = await files.readHead(path, 512);
    const header = head ? parseCvdHeader(head) : null;
    if (header?.builtAtMs != null && (newest === null || header.builtAtMs > newest)) newest = header.builtAtMs;
  }
  const onAccessUnits = await unitStates(ctx, CLAMAV_ON_ACCESS_UNITS);
  return antivirusFrom({ installed, signaturesBuiltAtMs: newest, onAccessUnits }, ctx.now());
}
