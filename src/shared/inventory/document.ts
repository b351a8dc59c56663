import { z } from 'zod';
import { canonicalHash, sha256Hex } from '../canonical.js';
import { PLATFORMS } from '../platform.js';
import { SECTIONS, SECTION_NAMES, SectionNameSchema, type SectionMap, type SectionName } from './sections.js';

export const INVENTORY_SCHEMA_VERSION = 1;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256');

/** A collector that failed: the section is left out (or, for 'partial', incomplete) and the reason kept; the scan goes on. */
export const SectionError = z.object({
  section: SectionNameSchema,
  // partial: the section is present but a part of it could not be read (e.g. local users).
  code: z.enum(['timeout', 'unsupported', 'failed', 'invalid', 'partial']),
  message: z.string().max(4096),
});
export type SectionError = z.infer<typeof SectionError>;

const sectionsShape = Object.fromEntries(
  SECTION_NAMES.map((name) => [name, SECTIONS[name].schema.optional()]),
) as { [N in SectionName]: z.ZodOptional<(typeof SECTIONS)[N]['schema']> };

export const InventorySections = z.strictObject(sectionsShape);
export type InventorySections = Partial<SectionMap>;

export const SectionHashes = z.partialRecord(SectionNameSchema, Sha256Hex);
export type SectionHashes = z.infer<typeof SectionHashes>;

/** One inventory scan of one machine: what `mamori-agent scan --json` prints. */
export const InventoryDocument = z.object({
  schemaVersion: z.literal(INVENTORY_SCHEMA_VERSION),
  agentVersion: z.string().max(64),
  platform: z.enum(PLATFORMS),
  collectedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  sections: InventorySections,
  hashes: SectionHashes,
  errors: z.array(SectionError).max(SECTION_NAMES.length * 4),
});
export type InventoryDocument = z.infer<typeof InventoryDocument>;

/** Names the software set hash's definition: a new definition needs a new tag. */
export const SOFTWARE_SET_TAG = 'mamori.software-set.v1';

/** The hash of one software item: SHA-256 of its RFC 8785 canonical JSON. */
export function hashSoftwareItem(item: unknown): string {
  return canonicalHash(item);
}

/** The text the software set hash is taken of: the tag, then the item hashes sorted, one per line. */
export function softwareSetText(itemHashes: readonly string[]): string {
  return `${SOFTWARE_SET_TAG}\n${[...itemHashes].sort().join('\n')}`;
}

/**
 * The hash of a section's data. For every section but software, SHA-256 of its RFC 8785
 * canonical JSON. The software list is a set of items keyed by id, and its hash is a set hash
 * (SHA-256 of softwareSetText of its item hashes; order does not matter): so the collector,
 * which keeps each item's hash, can check a change of a few items (`softwareDelta`) or compare a
 * whole list without reading or serialising every stored row again.
 */
export function hashSection(name: SectionName, data: unknown): string {
  if (name === 'software' && Array.isArray(data)) return sha256Hex(softwareSetText(data.map(hashSoftwareItem)));
  return canonicalHash(data);
}

/** Hashes of every section present. */
export function hashSections(sections: InventorySections): SectionHashes {
  const hashes: SectionHashes = {};
  for (const name of SECTION_NAMES) {
    const data = sections[name];
    if (data !== undefined) hashes[name] = hashSection(name, data);
  }
  return hashes;
}
