import canonicalizeModule from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

// NOTE: canonicalize 2.x is CommonJS (`module.exports = serialize`) but its typings declare an ES
// default export; under NodeNext the default import is module.exports itself, so retype it.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted, numbers and strings
 * in one normal form. Two equal values always give the same text, on the agent and on the
 * collector alike.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be represented as JSON');
  return text;
}

/** Lower-case hex SHA-256 of the canonical JSON of a value. */
export function canonicalHash(value: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(value))));
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/**
 * A copy of a JSON value whose objects hold their keys in canonical (RFC 8785) order, so that
 * plain `JSON.stringify` of it is its canonical JSON. Agents send inventory sections this way:
 * the collector then checks a section's hash over `JSON.stringify` of what arrived (native and
 * flat) instead of canonicalising every upload again. Integer-like keys are the exception: JS
 * objects always list them first in numeric order, so a section with several of them falls back
 * to the collector's canonical path (still correct, only slower).
 */
export function canonicalOrder<T>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}
