import type { LocalUser } from '../types.js';
import { readSection, type WindowsScan } from './parse.js';
import { flagOf, isRecord, textOf, type RawRecord } from './values.js';

// Local accounts (Get-LocalUser) and who is in the local Administrators group, matched by SID:
// the group and its members are read through the well-known SID S-1-5-32-544, never through the
// group's localized name.

/** A SID as text: the script prints it as a string, a plain ConvertTo-Json as {BinaryLength, AccountDomainSid, Value}. */
function sidOf(value: unknown): string | null {
  const text = textOf(isRecord(value) ? value.Value : value, 256)?.toUpperCase() ?? null;
  return text && /^S-1-[0-9-]+$/.test(text) ? text : null;
}

/** The SIDs of the members of Administrators (both Get-LocalGroupMember and the ADSI fallback give them). */
function administratorSids(members: readonly unknown[]): Set<string> {
  const sids = new Set<string>();
  for (const member of members) {
    const sid = isRecord(member) ? sidOf(member.SID) : null;
    if (sid) sids.add(sid);
  }
  return sids;
}

function localUserOf(record: RawRecord, admins: Set<string> | null): LocalUser | null {
  const name = textOf(record.Name, 256);
  if (!name) return null;
  const sid = sidOf(record.SID);
  const enabled = flagOf(record.Enabled);
  return {
    name,
    uid: sid,
    fullName: textOf(record.FullName),
    home: textOf(record.Home),
    shell: null,
    disabled: enabled === null ? null : !enabled,
    admin: admins === null ? null : sid !== null && admins.has(sid),
  };
}

/**
 * Local accounts from Get-LocalUser records, marked admin when their SID is among the members of
 * Administrators. `administrators` null (the group could not be read) leaves `admin` null.
 * Sorted by name.
 */
export function localUsersOf(users: readonly unknown[], administrators: readonly unknown[] | null): LocalUser[] {
  const admins = administrators === null ? null : administratorSids(administrators);
  return users
    .filter(isRecord)
    .flatMap((record) => localUserOf(record, admins) ?? [])
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The local accounts of a scan. Throws when Get-LocalUser's answer is missing or failed: an
 * empty list would read as every account deleted.
 */
export function localUsersFromScan(scan: WindowsScan): LocalUser[] {
  const users = readSection(scan, 'localUsers');
  if (users.status !== 'ok') throw new Error(`local accounts could not be read (${users.message})`);
  const administrators = readSection(scan, 'administrators');
  return localUsersOf(users.items, administrators.status === 'ok' ? administrators.items : null);
}
