import type { LocalUser } from '../types.js';
import { isPlistDict, plistTexts, readPlist, type PlistDict } from './plist.js';

/** macOS gives the first account made in Setup Assistant uid 501; system accounts sit below 500. */
export const FIRST_HUMAN_UID = 500;

const ATTRIBUTE = 'dsAttrTypeStandard:';

function first(record: PlistDict, attribute: string, maxLength = 1024): string | null {
  return plistTexts(record, `${ATTRIBUTE}${attribute}`, maxLength)[0] ?? null;
}

/**
 * Reads the members of the admin group from
 * `dscl -plist . -read /Groups/admin GroupMembership`; null when the output is not that plist.
 */
export function parseGroupMembers(bytes: Uint8Array): Set<string> | null {
  const group = readPlist(bytes);
  if (!isPlistDict(group)) return null;
  return new Set(plistTexts(group, `${ATTRIBUTE}GroupMembership`, 256));
}

/**
 * Reads `dscl -plist . -readall /Users RecordName UniqueID RealName NFSHomeDirectory UserShell`
 * (an array of records, every attribute an array of strings) into the human accounts:
 * uid ≥ 500, sorted by uid. `admins` marks members of the admin group (null: membership
 * unknown). Records without a name or a numeric uid are skipped; output that is not that
 * plist gives null.
 */
export function parseDsclUsers(bytes: Uint8Array, admins: ReadonlySet<string> | null): LocalUser[] | null {
  const records = readPlist(bytes);
  if (!Array.isArray(records)) return null;
  const users: { uid: number; user: LocalUser }[] = [];
  const seen = new Set<string>();
  for (const record of records as unknown[]) {
    if (!isPlistDict(record)) continue;
    const name = first(record, 'RecordName', 256);
    const uidText = first(record, 'UniqueID', 32);
    if (name === null || uidText === null || !/^-?\d{1,10}$/.test(uidText) || seen.has(name)) continue;
    const uid = Number(uidText);
    if (uid < FIRST_HUMAN_UID) continue;
    seen.add(name);
    users.push({
      uid,
      user: {
        name,
        uid: uidText,
        fullName: first(record, 'RealName'),
        home: first(record, 'NFSHomeDirectory'),
        shell: first(record, 'UserShell'),
        disabled: null,
        admin: admins === null ? null : admins.has(name),
      },
    });
  }
  return users.sort((a, b) => a.uid - b.uid || (a.user.name < b.user.name ? -1 : 1)).map(({ user }) => user);
}
