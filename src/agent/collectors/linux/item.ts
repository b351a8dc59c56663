import type { SoftwareItem } from '../../../shared/inventory/index.js';

/** What one package source (dpkg, rpm, snap, flatpak) yielded. */
export type SourceResult =
  | { status: 'ok'; items: SoftwareItem[] }
  /** The tool is not installed here: nothing to report, nothing wrong. */
  | { status: 'absent' }
  | { status: 'failed'; message: string };

type LinuxFields = Pick<
  SoftwareItem,
  'id' | 'name' | 'version' | 'publisher' | 'installDate' | 'source' | 'scope' | 'arch' | 'packageName'
>;

/** A software item from a Linux package source, with the fields of other OSes set to null. */
export function linuxSoftwareItem(fields: LinuxFields): SoftwareItem {
  return {
    ...fields,
    installPath: null,
    msiProductCode: null,
    msiUpgradeCode: null,
    packageFamilyName: null,
    bundleId: null,
  };
}
