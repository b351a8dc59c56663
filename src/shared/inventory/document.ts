import { z } from 'zod';
import { canonicalHash } from '../canonical.js';
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

/** The hash of one section's data: SHA-256 of its RFC 8785 canonical JSON. */
export function hashSection(data: unknown): string {
  return canonicalHash(data);
}

/** Hashes of every section present. */
export function hashSections(sections: InventorySections): SectionHashes {
  const hashes: SectionHashes = {};
  for (const name of SECTION_NAMES) {
    const data = sections[name];
    if (data !== undefined) hashes[name] = hashSection(data);
  }
  return hashes;
}
