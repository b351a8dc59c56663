import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical.js';

/**
 * The same hash as `hashSection` in src/shared (SHA-256 of the RFC 8785 canonical JSON), computed
 * with Node's native SHA-256: the shared one is pure JavaScript so that src/shared stays free of
 * Node, and on the collector's hot path it cost about a third of a full inventory's CPU.
 */
export function hashSectionNative(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data), 'utf8').digest('hex');
}

/** What checking a section against the hash its agent claimed found. */
export type SectionHashCheck =
  | { ok: true; hash: string; clean: boolean }
  | { ok: false; expected: string };

// What JSON.stringify writes for U+0000 and for a lone surrogate (a pair is written as itself):
// the only ways such a character can be in a section, and the only ones a store must scrub.
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * Checks a section as it arrived (before schema parsing, whose output lists keys in schema order)
 * against the hash the agent claimed. Agents send each section with its keys in canonical order
 * (`canonicalOrder`), so `JSON.stringify` of it is its canonical JSON and hashing that flat text
 * natively is enough; only when that misses (an older agent, integer-like keys) is the section
 * canonicalised, which costs several times more for a software list. `clean` says that no string
 * in the section holds U+0000 or a lone surrogate, so the store need not copy it to scrub them.
 */
export function checkSectionHash(wire: unknown, claimed: string | undefined): SectionHashCheck {
  const json = JSON.stringify(wire);
  const clean = !UNSTORABLE_ESCAPE.test(json);
  if (claimed !== undefined && createHash('sha256').update(json, 'utf8').digest('hex') === claimed) return { ok: true, hash: claimed, clean };
  const canonical = hashSectionNative(wire);
  return canonical === claimed ? { ok: true, hash: canonical, clean } : { ok: false, expected: canonical };
}
