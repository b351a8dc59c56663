// Dates are written in UTC so that the same machine state always gives the same inventory
// (and the same section hash), whatever the agent's time zone.

const MIN_PLAUSIBLE_MS = Date.UTC(1990, 0, 1);
const MAX_PLAUSIBLE_MS = Date.UTC(2200, 0, 1);

function plausible(date: Date): boolean {
  const ms = date.getTime();
  return Number.isFinite(ms) && ms >= MIN_PLAUSIBLE_MS && ms < MAX_PLAUSIBLE_MS;
}

/** `YYYY-MM-DD` (UTC) of a date; null for an invalid date or one outside 1990–2199 (a zeroed or garbage timestamp). */
export function isoDay(date: Date | null): string | null {
  if (date === null || !plausible(date)) return null;
  return date.toISOString().slice(0, 10);
}

/** `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds); null like `isoDay`. */
export function isoInstant(date: Date | null): string | null {
  if (date === null || !plausible(date)) return null;
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The date of a Unix time in seconds (pkgutil's install-time); null for anything else. */
export function dateFromEpochSeconds(seconds: number | null): Date | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000);
}

/**
 * Reads the date forms macOS tools print: ISO-8601 with `Z` or an offset
 * (`2025-01-26T01:16:31Z`, system_profiler -json) and the NSDate description form
 * (`2026-06-20 10:00:00 +0000`). Anything else is null, never a guess.
 */
export function parseAppleDate(value: unknown): Date | null {
  if (value instanceof Date) return plausible(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})$/.exec(text);
  const described = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/.exec(text);
  let normalized: string | null = null;
  if (iso) normalized = `${iso[1]}T${iso[2]}${iso[3] === 'Z' ? 'Z' : iso[3]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
  else if (described) normalized = `${described[1]}T${described[2]}${described[3]}:${described[4]}`;
  if (normalized === null) return null;
  const date = new Date(normalized);
  return plausible(date) ? date : null;
}
