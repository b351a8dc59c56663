import { InvalidInputError } from './errors.js';

// Checks the store makes on its inputs. The route layer validates requests with the shared
// schemas first; these guard the store's own promises (no raw secret stored by mistake, one time
// format on both back ends) whoever calls it.

const SHA256_HEX = /^[0-9a-f]{64}$/;
// A date-time with an explicit zone: a time without one would be read in the server's local zone.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lower-case hex SHA-256. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** True for a lower-case UUID. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The value when it is a lower-case hex SHA-256, else InvalidInputError (a raw secret must never be stored). */
export function requireSha256(value: unknown, what: string): string {
  if (!isSha256Hex(value)) throw new InvalidInputError(`${what} must be a lower-case hex SHA-256`);
  return value;
}

/** The value when it is a lower-case UUID, else InvalidInputError. */
export function requireUuid(value: unknown, what: string): string {
  if (!isUuid(value)) throw new InvalidInputError(`${what} must be a lower-case UUID`);
  return value;
}

/** The time as ISO-8601 UTC with milliseconds, else InvalidInputError. */
export function requireTime(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) throw new InvalidInputError(`${what} must be an ISO-8601 time`);
  const time = new Date(value);
  const ms = time.getTime();
  // Four-digit years only: they sort correctly as text in SQLite.
  if (!Number.isFinite(ms) || time.getUTCFullYear() < 1 || time.getUTCFullYear() > 9999) throw new InvalidInputError(`${what} must be an ISO-8601 time`);
  return time.toISOString();
}

/** The time normalised, or null. */
export function optionalTime(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : requireTime(value, what);
}

/** The string when it is non-empty (after trimming) and at most `max` characters, else InvalidInputError. */
export function requireText(value: unknown, what: string, max = 1024): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new InvalidInputError(`${what} must be a non-empty text of at most ${max} characters`);
  }
  return value;
}

/** The string when at most `max` characters (may be empty), or null. */
export function optionalText(value: unknown, what: string, max = 4096): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value.length > max) throw new InvalidInputError(`${what} must be a text of at most ${max} characters`);
  return value;
}

/** One of `allowed`, else InvalidInputError. */
export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(`${what} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A positive whole number, else InvalidInputError. */
export function requirePositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new InvalidInputError(`${what} must be a positive whole number`);
  return value;
}

/** A plain JSON object, else InvalidInputError. */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** A page size: `limit` clamped to 1–1000, 100 when absent or not a number. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 100;
  return Math.min(1000, Math.max(1, Math.floor(limit)));
}
