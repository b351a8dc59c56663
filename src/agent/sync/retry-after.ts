/**
 * Retry-After (RFC 9110 §10.2.3): either delta-seconds ("120") or an HTTP-date in one of the three
 * forms §5.6.7 makes recipients accept — IMF-fixdate, the obsolete RFC 850 form and asctime.
 * Parsed by hand rather than with Date.parse, which reads asctime (no zone) as local time and
 * accepts many strings that are not HTTP-dates at all.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850_DATE = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
// Sun Nov  6 08:49:37 1994
const ASCTIME_DATE = /^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/** Longest delay we represent; anything larger is capped by the backoff anyway. */
const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;

function utc(year: number, monthName: string, day: number, h: number, m: number, s: number): number | null {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return null;
  const ms = Date.UTC(year, month, day, h, m, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March: refuse dates that do not exist.
  return new Date(ms).getUTCDate() === day ? ms : null;
}

/** Milliseconds since the epoch of an HTTP-date, or null when the text is not one. */
export function parseHttpDate(text: string, nowMs: number): number | null {
  const value = text.trim();
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850_DATE.exec(value);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years in the future means the past century.
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME_DATE.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return null;
}

/**
 * The delay a Retry-After header asks for, in milliseconds (0 for a date in the past), or null
 * when the header is absent or not a valid value. Never throws.
 */
export function parseRetryAfter(header: string | readonly string[] | null | undefined, nowMs: number = Date.now()): number | null {
  const raw = Array.isArray(header) ? header[0] : header;
  if (typeof raw !== 'string') return null;
  const value = raw.trim();
  if (/^\d+$/.test(value)) {
    const seconds = Number(value);
    return Math.min(seconds * 1000, MAX_DELAY_MS);
  }
  const at = parseHttpDate(value, nowMs);
  if (at === null) return null;
  return Math.min(Math.max(0, at - nowMs), MAX_DELAY_MS);
}
