import { serialKey, type MediumIdentity } from './identity.js';
import type { RegisteredMedium } from './ledger.js';

/**
 * The ledger check of a medium plugged into a PC: pure, so that it is table-tested and the agent,
 * the console and reports all decide alike.
 */

export type MediaMode = 'audit' | 'warn' | 'block';

/** allowed: use it; read-only: use it without writing; denied: it may not be used. */
export type MediaVerdict = 'allowed' | 'read-only' | 'denied';

export const DENIAL_REASONS = [
  /** No ledger entry for this medium. */
  'unregistered',
  /** No entry, and the medium reports no serial, so it can only be registered by its composite key. */
  'missing-serial',
  /** An entry exists for the serial, but the serial is shared or a placeholder, so it does not prove which medium this is. */
  'ambiguous-serial',
  'revoked',
  'not-yet-valid',
  'expired',
  'wrong-user',
  'wrong-pc',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];
export type DecisionReason = 'registered' | 'registered-read-only' | DenialReason;

/**
 * What the agent does: allow (notice only), record (audit: event only), warn (event and a
 * prompt), block (eject, event, prompt, keep it ejected until approved), remount-read-only.
 */
export type MediaAction = 'allow' | 'record' | 'warn' | 'block' | 'remount-read-only';

export interface MediaDecision {
  verdict: MediaVerdict;
  reason: DecisionReason;
  action: MediaAction;
  /** 登録番号 of the entry that decided it (also for denials such as expired or wrong-user). */
  ledgerNumber: string | null;
  /** The entry's validity end, for messages (使用期限). */
  validUntil: string | null;
  /** More than one live entry has this medium's key (the ledger itself is ambiguous). */
  ledgerAmbiguous: boolean;
}

export interface EvaluationContext {
  mode: MediaMode;
  ledger: readonly RegisteredMedium[];
  /** The OS account at the PC; null when unknown (then only entries open to anyone allow it). */
  osUser: string | null;
  hostname: string;
  /** This agent's id once enrolled (approvals name the PC by it). */
  agentId: string | null;
  /** Today on the PC's calendar, YYYY-MM-DD (validity days are the PC's days). */
  today: string;
}

/** Account names compared without case and, when the entry names no domain, without the PC's domain (CITY\tanaka, tanaka@city.local). */
export function userMatches(allowed: string, osUser: string | null): boolean {
  if (osUser === null) return false;
  const a = allowed.trim().toLowerCase();
  const u = osUser.trim().toLowerCase();
  if (a === u) return true;
  if (a.includes('\\') || a.includes('@')) return false;
  const bare = u.includes('\\') ? u.slice(u.lastIndexOf('\\') + 1) : u.includes('@') ? u.slice(0, u.indexOf('@')) : u;
  return a === bare;
}

/** A PC named by agent id, by host name, or by the host name's first label (pc-001 matches pc-001.city.local), without case. */
export function pcMatches(allowed: string, hostname: string, agentId: string | null): boolean {
  const a = allowed.trim().toLowerCase();
  if (agentId !== null && a === agentId.toLowerCase()) return true;
  const h = hostname.trim().toLowerCase();
  return a === h || (!a.includes('.') && a === h.split('.')[0]);
}

const RANK: Record<MediaVerdict, number> = { allowed: 2, 'read-only': 1, denied: 0 };
// When every entry denies, the reason shown is the one most useful to the person at the PC.
const DENIAL_ORDER: DenialReason[] = ['wrong-user', 'wrong-pc', 'expired', 'not-yet-valid', 'revoked', 'ambiguous-serial', 'missing-serial', 'unregistered'];

function judgeEntry(entry: RegisteredMedium, ctx: EvaluationContext): { verdict: MediaVerdict; reason: DecisionReason } {
  if (entry.revokedAt !== null) return { verdict: 'denied', reason: 'revoked' };
  if (entry.validFrom !== null && ctx.today < entry.validFrom) return { verdict: 'denied', reason: 'not-yet-valid' };
  if (entry.validUntil !== null && ctx.today > entry.validUntil) return { verdict: 'denied', reason: 'expired' };
  if (entry.allowedUsers.length > 0 && !entry.allowedUsers.some((u) => userMatches(u, ctx.osUser))) return { verdict: 'denied', reason: 'wrong-user' };
  if (entry.allowedPcs.length > 0 && !entry.allowedPcs.some((p) => pcMatches(p, ctx.hostname, ctx.agentId))) return { verdict: 'denied', reason: 'wrong-pc' };
  return entry.access === 'read-only' ? { verdict: 'read-only', reason: 'registered-read-only' } : { verdict: 'allowed', reason: 'registered' };
}

/** The action a verdict calls for in a mode. */
export function actionFor(verdict: MediaVerdict, mode: MediaMode): MediaAction {
  if (verdict === 'allowed') return 'allow';
  if (mode === 'audit') return 'record';
  if (mode === 'warn') return 'warn';
  return verdict === 'read-only' ? 'remount-read-only' : 'block';
}

/**
 * Checks a medium against the ledger: the entries with its key decide (the most permissive valid
 * one wins); a medium whose serial is missing, shared or a placeholder is matched only by its
 * composite key, never by the serial alone. The mode then turns the verdict into an action.
 */
export function evaluateMedium(medium: MediumIdentity, ctx: EvaluationContext): MediaDecision {
  const candidates = ctx.ledger.filter((e) => e.key === medium.key);
  const live = candidates.filter((e) => e.revokedAt === null);
  if (candidates.length === 0) {
    let reason: DenialReason = 'unregistered';
    const bySerial = serialKey(medium);
    if (medium.serialStatus !== 'unique' && bySerial !== null && ctx.ledger.some((e) => e.key === bySerial)) reason = 'ambiguous-serial';
    else if (medium.serial === null) reason = 'missing-serial';
    return { verdict: 'denied', reason, action: actionFor('denied', ctx.mode), ledgerNumber: null, validUntil: null, ledgerAmbiguous: false };
  }
  let best: { entry: RegisteredMedium; verdict: MediaVerdict; reason: DecisionReason } | null = null;
  for (const entry of candidates) {
    const judged = judgeEntry(entry, ctx);
    const better =
      best === null ||
      RANK[judged.verdict] > RANK[best.verdict] ||
      (judged.verdict === 'denied' && best.verdict === 'denied' &&
        DENIAL_ORDER.indexOf(judged.reason as DenialReason) < DENIAL_ORDER.indexOf(best.reason as DenialReason));
    if (better) best = { entry, ...judged };
  }
  const chosen = best!;
  return {
    verdict: chosen.verdict,
    reason: chosen.reason,
    action: actionFor(chosen.verdict, ctx.mode),
    ledgerNumber: chosen.entry.number,
    validUntil: chosen.entry.validUntil,
    ledgerAmbiguous: live.length > 1,
  };
}
