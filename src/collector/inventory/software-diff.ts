import type { SoftwareItem } from '../../shared/inventory/software.js';

/** One title whose version changed between two inventories of the same device. */
export interface SoftwareUpdate {
  before: SoftwareItem;
  after: SoftwareItem;
}

/** What changed in a device's software list, by `SoftwareItem.id`. */
export interface SoftwareDiff {
  installed: SoftwareItem[];
  removed: SoftwareItem[];
  /** Same id, different version. */
  updated: SoftwareUpdate[];
  /** Same id and version, some other field differs (install path, publisher…): not history, but the stored row must follow. */
  refreshed: SoftwareItem[];
  /** The new list with repeated ids dropped (first occurrence kept): what the store keeps. */
  current: SoftwareItem[];
  /** How many items of the new list repeated an id already seen. */
  duplicateIds: number;
}

/**
 * Items in order with repeated ids dropped. Ids are meant to be unique per inventory, but an
 * agent bug or a hostile upload must not turn into a primary-key error in the store.
 */
export function uniqueSoftware(items: readonly SoftwareItem[]): { items: SoftwareItem[]; duplicates: number } {
  const seen = new Set<string>();
  const unique: SoftwareItem[] = [];
  for (const item of items) {
    if (seen.has(item.id)) continue;
    seen.add(item.id);
    unique.push(item);
  }
  return { items: unique, duplicates: items.length - unique.length };
}

const COMPARED_FIELDS = [
  'name',
  'version',
  'publisher',
  'installDate',
  'source',
  'scope',
  'arch',
  'installPath',
  'msiProductCode',
  'msiUpgradeCode',
  'packageFamilyName',
  'bundleId',
  'packageName',
] as const satisfies readonly (keyof SoftwareItem)[];

function sameItem(a: SoftwareItem, b: SoftwareItem): boolean {
  return COMPARED_FIELDS.every((key) => (a[key] ?? null) === (b[key] ?? null));
}

/**
 * Compares a device's previous software list with the new one. Items are the same title when
 * their ids are equal; a different version is an update, whatever else changed. Output lists
 * are sorted by id so that history rows come out in a stable order.
 */
export function diffSoftware(before: readonly SoftwareItem[], after: readonly SoftwareItem[]): SoftwareDiff {
  const previous = new Map(uniqueSoftware(before).items.map((item) => [item.id, item]));
  const { items: current, duplicates } = uniqueSoftware(after);
  const diff: SoftwareDiff = { installed: [], removed: [], updated: [], refreshed: [], current, duplicateIds: duplicates };
  const nowIds = new Set<string>();
  for (const item of current) {
    nowIds.add(item.id);
    const old = previous.get(item.id);
    if (!old) diff.installed.push(item);
    else if ((old.version ?? null) !== (item.version ?? null)) diff.updated.push({ before: old, after: item });
    else if (!sameItem(old, item)) diff.refreshed.push(item);
  }
  for (const [id, item] of previous) if (!nowIds.has(id)) diff.removed.push(item);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  diff.installed.sort(byId);
  diff.removed.sort(byId);
  diff.refreshed.sort(byId);
  diff.updated.sort((a, b) => byId(a.after, b.after));
  return diff;
}
