import type { SectionName } from '../../shared/inventory/sections.js';
import type { SoftwareItem } from '../../shared/inventory/software.js';
import { diffFields, type FieldChange } from './field-diff.js';
import { INGESTION } from './sections.js';
import { diffSoftware, type SoftwareDiff } from './software-diff.js';

/** The software title a history row is about (enough to show it without the inventory). */
export interface SoftwareRef {
  id: string;
  name: string;
  version: string | null;
  publisher: string | null;
}

/** One entry of a device's change history (機器構成の変更), before the store gives it an id and a time. */
export type InventoryChangeDraft =
  /** The first data of a section: the baseline, not a change of the machine. */
  | { kind: 'section.added'; section: SectionName; newHash: string }
  | {
      kind: 'section.changed';
      section: SectionName;
      oldHash: string;
      newHash: string;
      fields: FieldChange[];
      /** Field changes beyond the ones kept. */
      omittedFields: number;
    }
  | { kind: 'software.installed' | 'software.removed'; section: 'software'; software: SoftwareRef }
  | {
      kind: 'software.updated';
      section: 'software';
      software: SoftwareRef;
      oldVersion: string | null;
      newVersion: string | null;
    };

export type InventoryChangeKind = InventoryChangeDraft['kind'];
export const INVENTORY_CHANGE_KINDS: readonly InventoryChangeKind[] = [
  'section.added',
  'section.changed',
  'software.installed',
  'software.removed',
  'software.updated',
];

/** A section's stored state: its hash and data. */
export interface SectionState<T = unknown> {
  hash: string;
  data: T;
}

export interface SectionUpdatePlan {
  /** History to append, in order. Empty when the hash did not change. */
  changes: InventoryChangeDraft[];
  /** For the software section: what the store must write to its item table. */
  software: SoftwareDiff | null;
}

function ref(item: SoftwareItem): SoftwareRef {
  return { id: item.id, name: item.name, version: item.version ?? null, publisher: item.publisher ?? null };
}

/** History rows for a software diff: installs, then updates, then removals, each sorted by id. */
export function softwareChanges(diff: SoftwareDiff): InventoryChangeDraft[] {
  return [
    ...diff.installed.map((item): InventoryChangeDraft => ({ kind: 'software.installed', section: 'software', software: ref(item) })),
    ...diff.updated.map(
      ({ before, after }): InventoryChangeDraft => ({
        kind: 'software.updated',
        section: 'software',
        software: ref(after),
        oldVersion: before.version ?? null,
        newVersion: after.version ?? null,
      }),
    ),
    ...diff.removed.map((item): InventoryChangeDraft => ({ kind: 'software.removed', section: 'software', software: ref(item) })),
  ];
}

/**
 * What applying new data to one section means for the history. `previous` is null when the
 * device never sent this section: that is the baseline (one `section.added`, no per-item
 * installs). For software, `previous.data` and `next.data` are item lists.
 */
export function planSectionUpdate(section: SectionName, previous: SectionState | null, next: SectionState): SectionUpdatePlan {
  const ingestion = INGESTION[section];
  if (ingestion.history === 'volatile') return { changes: [], software: null };
  if (previous !== null && previous.hash === next.hash) return { changes: [], software: null };
  if (ingestion.history === 'software') {
    const before = previous === null ? [] : (previous.data as SoftwareItem[]);
    const diff = diffSoftware(before, next.data as SoftwareItem[]);
    const changes = previous === null ? [{ kind: 'section.added' as const, section, newHash: next.hash }] : softwareChanges(diff);
    return { changes, software: diff };
  }
  if (previous === null) return { changes: [{ kind: 'section.added', section, newHash: next.hash }], software: null };
  const diff = diffFields(previous.data, next.data, { arrayKeys: ingestion.arrayKeys ?? {} });
  return {
    changes: [
      { kind: 'section.changed', section, oldHash: previous.hash, newHash: next.hash, fields: diff.changes, omittedFields: diff.omitted },
    ],
    software: null,
  };
}
