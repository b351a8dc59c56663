import { hashSoftwareItem } from './document.js';
import type { SoftwareItem } from './software.js';

/** A change of a software list by item: what to add or replace (whole items) and which ids are gone. */
export interface SoftwareChange {
  upsert: SoftwareItem[];
  remove: string[];
}

/**
 * The change that turns the list `before` into `after`, comparing items by id and by hash (so a
 * change of any field counts). Null when `after` repeats an id: a change keyed by id cannot say
 * that, and the whole list must go.
 */
export function softwareChange(before: readonly SoftwareItem[], after: readonly SoftwareItem[]): SoftwareChange | null {
  const previous = new Map<string, string>();
  for (const item of before) previous.set(item.id, hashSoftwareItem(item));
  const seen = new Set<string>();
  const upsert: SoftwareItem[] = [];
  for (const item of after) {
    if (seen.has(item.id)) return null;
    seen.add(item.id);
    if (previous.get(item.id) !== hashSoftwareItem(item)) upsert.push(item);
  }
  const remove = [...previous.keys()].filter((id) => !seen.has(id));
  return { upsert, remove };
}
