import type { CollectContext, Posture } from '../types.js';
import { runText } from './command.js';

export type ScreenLock = Posture['screenLock'];

/** The GNOME keys the agent reads with `gsettings get SCHEMA KEY`. */
export const SCREEN_LOCK_KEYS = {
  lockEnabled: ['org.gnome.desktop.screensaver', 'lock-enabled'],
  lockDelay: ['org.gnome.desktop.screensaver', 'lock-delay'],
  idleDelay: ['org.gnome.desktop.session', 'idle-delay'],
} as const;

/** GVariant text of a boolean (`true`, `false`); null for anything else. */
export function parseGVariantBoolean(text: string): boolean | null {
  const value = text.trim();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/**
 * GVariant text of an unsigned number: gsettings prints `uint32 300` (the type is named because
 * it is not GVariant's default int32) or a bare `300` for int32 keys. Null for anything else.
 */
export function parseGVariantCount(text: string): number | null {
  const match = /^(?:u?int(?:16|32|64)\s+)?(\d{1,10})$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : null;
}

/** The three GNOME settings, each null when gsettings could not read it. */
export interface GnomeScreenLockSettings {
  lockEnabled: boolean | null;
  /** Seconds between the screen blanking and the lock. */
  lockDelay: number | null;
  /** Seconds of idle time before the screen blanks; 0 means never. */
  idleDelay: number | null;
}

/**
 * Decides the screen-lock posture from GNOME's settings: `on` when the lock is enabled and the
 * screen blanks after idle time, `off` when the lock is disabled or the screen never blanks,
 * `unknown` when the settings could not be read (no gsettings, no GNOME schemas, headless).
 */
export function screenLockFrom(settings: GnomeScreenLockSettings): ScreenLock {
  const { lockEnabled, lockDelay, idleDelay } = settings;
  if (lockEnabled === null && idleDelay === null) {
    return { state: 'unknown', timeoutSeconds: null, requirePassword: null, source: null };
  }
  let state: ScreenLock['state'] = 'unknown';
  if (lockEnabled === false || idleDelay === 0) state = 'off';
  else if (lockEnabled === true && idleDelay !== null && idleDelay > 0) state = 'on';
  const timeoutSeconds = idleDelay !== null && idleDelay > 0 ? idleDelay + (lockDelay ?? 0) : null;
  return { state, timeoutSeconds, requirePassword: lockEnabled, source: 'gsettings (GNOME)' };
}

/** Reads the GNOME screen-lock settings of the logged-in user with gsettings. */
export async function collectScreenLock(ctx: CollectContext): Promise<ScreenLock> {
  const read = async ([schema, key]: readonly [string, string]): Promise<string | null> => {
    const outcome = await runText(ctx, 'gsettings', ['get', schema, key]);
    return outcome.ok && outcome.code === 0 ? outcome.stdout : null;
  };
  const lockEnabled = await read(SCREEN_LOCK_KEYS.lockEnabled);
  // Without the first answer gsettings is missing or has no GNOME schemas: do not ask twice more.
  if (lockEnabled === null) return screenLockFrom({ lockEnabled: null, lockDelay: null, idleDelay: null });
  const [lockDelay, idleDelay] = await Promise.all([read(SCREEN_LOCK_KEYS.lockDelay), read(SCREEN_LOCK_KEYS.idleDelay)]);
  return screenLockFrom({
    lockEnabled: parseGVariantBoolean(lockEnabled),
    lockDelay: lockDelay === null ? null : parseGVariantCount(lockDelay),
    idleDelay: idleDelay === null ? null : parseGVariantCount(idleDelay),
  });
}
