import { z } from 'zod';
import type { Platform } from '../platform.js';

/**
 * What the documentation (docs/inventory.md) and the console say about one inventory field:
 * a one-line description and the operating systems the agent collects it on.
 */
export interface FieldDoc {
  description: string;
  platforms: readonly Platform[];
}

/** Every documented field schema, so docs and console columns are generated from the schemas. */
export const fieldDocs = z.registry<FieldDoc>();

export const ALL: readonly Platform[] = ['win32', 'darwin', 'linux'];
export const WIN: readonly Platform[] = ['win32'];
export const MAC: readonly Platform[] = ['darwin'];
export const LINUX: readonly Platform[] = ['linux'];
export const WIN_MAC: readonly Platform[] = ['win32', 'darwin'];
export const WIN_LINUX: readonly Platform[] = ['win32', 'linux'];
export const MAC_LINUX: readonly Platform[] = ['darwin', 'linux'];

/**
 * Declares one documented field. The schema instance is registered as it is, so wrap it
 * (nullable, array…) before calling `field`, never after.
 */
export function field<T extends z.ZodType>(
  schema: T,
  description: string,
  platforms: readonly Platform[] = ALL,
): T {
  // The registry is typed for any schema; the generic T only keeps the caller's type.
  (schema as z.ZodType).register(fieldDocs, { description, platforms });
  return schema;
}

/** A string the OS may not know (a VM without DMI, a field a tool left empty): null, never "". */
export const optText = () => z.string().max(4096).nullable();
/** A non-negative integer the OS may not know. */
export const optCount = () => z.number().int().nonnegative().nullable();
/** A byte count the OS may not know. */
export const optBytes = () => z.number().int().nonnegative().nullable();
/** A finite number the OS may not know. */
export const optNumber = () => z.number().finite().nullable();
/** A yes/no the OS may not know. */
export const optBool = () => z.boolean().nullable();
/** An ISO-8601 date or date-time (UTC where a time is known), or null. */
export const optDate = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/, 'an ISO-8601 date')
    .nullable();
