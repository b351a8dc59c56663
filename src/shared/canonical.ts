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
