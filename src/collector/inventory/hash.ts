import { hash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical.js';
import { softwareSetText, type SectionName } from '../../shared/inventory/index.js';

// The same hashes as src/shared/inventory/document.ts (hashSection, hashSoftwareItem), computed
// with Node's native SHA-256: the shared ones are pure JavaScript so that src/shared stays free
// of Node, and on the collector's hot path they cost about a third of a full inventory's CPU.

// crypto.hash: one call per digest, no Hash object (a software list takes ~300 of them).
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** hashSoftwareItem, natively. */
export function hashSoftwareItemNative(item: unknown): string {
  return sha256(canonicalJson(item));
}

/** The software set hash of item hashes (see hashSection), natively. */
export function softwareSetHashNative(itemHashes: readonly string[]): string {
  return sha256(softwareSetText(itemHashes));
}

/** hashSection, natively. */
export function hashSectionNative(name: SectionName, data: unknown): string {
  if (name === 'software' && Array.isArray(data)) return softwareSetHashNative(data.map(hashSoftwareItemNative));
  return sha256(canonicalJson(data));
}

/** What checking a section against the hash its agent claimed found. */
export type SectionHashCheck =
  /** `itemHashes` for the software list: each item's hash, in the order of the list. */
  | { ok: true; hash: string; clean: boolean; itemHashes: string[] | null }
  | { ok: false; expected: string };

// What JSON.stringify writes for U+0000 and for a lone surrogate (a pair is written as itself):
// the only ways such a character can be in a section, and the only ones a store must scrub.
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * The hash of a value whose objects may list their keys in canonical order: `JSON.stringify` of
 * it is then its canonical JSON, and hashing that flat text natively costs a fraction of
 * canonicalising again.
 */
function quickHash(value: unknown): { json: string; hash: string } {
  const json = JSON.stringify(value);
  return { json, hash: sha256(json) };
}

/**
 * Checks a section as it arrived (before schema parsing, whose output lists keys in schema order)
 * against the hash the agent claimed. Agents send each section with its keys in canonical order
 * (`canonicalOrder`), so the quick hash matches; only when it misses (an older agent, integer-like
 * keys) is the section canonicalised. `clean` says that no string in the section holds U+0000 or
 * a lone surrogate, so the store need not copy it to scrub them.
 */
export function checkSectionHash(name: SectionName, wire: unknown, claimed: string | undefined): SectionHashCheck {
  if (name === 'software' && Array.isArray(wire)) return checkSoftwareHash(wire, claimed);
  const quick = quickHash(wire);
  const clean = !UNSTORABLE_ESCAPE.test(quick.json);
  if (claimed !== undefined && quick.hash === claimed) return { ok: true, hash: claimed, clean, itemHashes: null };
  const canonical = hashSectionNative(name, wire);
  return canonical === claimed ? { ok: true, hash: canonical, clean, itemHashes: null } : { ok: false, expected: canonical };
}

/**
 * Each item's hash as it arrived, by the quick hash (right for items in canonical key order, as
 * agents send them), and whether every item is clean (see checkSectionHash). For the items of a
 * software change, whose hashes the store checks through the set hash of the resulting list.
 */
export function hashSoftwareItemsQuick(items: readonly unknown[]): { itemHashes: string[]; clean: boolean } {
  let clean = true;
  const itemHashes = items.map((item) => {
    const q = quickHash(item);
    if (clean && UNSTORABLE_ESCAPE.test(q.json)) clean = false;
    return q.hash;
  });
  return { itemHashes, clean };
}

/** checkSectionHash for a software list: every item's hash, then their set hash. */
export function checkSoftwareHash(items: readonly unknown[], claimed: string | undefined): SectionHashCheck {
  const quick = hashSoftwareItemsQuick(items);
  if (claimed !== undefined && softwareSetHashNative(quick.itemHashes) === claimed) return { ok: true, hash: claimed, clean: quick.clean, itemHashes: quick.itemHashes };
  const itemHashes = items.map(hashSoftwareItemNative);
  const canonical = softwareSetHashNative(itemHashes);
  return canonical === claimed ? { ok: true, hash: canonical, clean: quick.clean, itemHashes } : { ok: false, expected: canonical };
}
