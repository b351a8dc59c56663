import { cleanText } from '../text.js';
import type { LocalUser } from '../types.js';
import { outputLines } from './command.js';
import type { FileReader } from './files.js';

export const PASSWD_FILE = '/etc/passwd';
export const GROUP_FILE = '/etc/group';
/** Groups whose members may become root with sudo (Debian/Ubuntu: sudo, admin; Fedora/RHEL: wheel). */
export const ADMIN_GROUPS: readonly string[] = ['sudo', 'wheel', 'admin'];
// Debian's and Fedora's first uid for people (login.defs UID_MIN). nobody is 65534, and on
// older Red Hat systems also (uint32)-2 (nfsnobody); (uint32)-1 means "no uid" to the kernel.
const FIRST_HUMAN_UID = 1000;
const NOBODY_UIDS: ReadonlySet<number> = new Set([65534, 4294967294, 4294967295]);

/** One line of /etc/passwd. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

/** One line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

// No whitespace; not a comment (#) or an NIS include (+/-). Other characters are the admin's business.
const ACCOUNT_NAME = /^[^\s:#+-][^\s:]{0,127}$/u;
const ID = /^\d{1,10}$/;

/**
 * Parses /etc/passwd. Comments, NIS `+`/`-` lines, and lines without seven fields or with a
 * non-numeric uid/gid are skipped.
 */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of outputLines(text)) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [name = '', , uid = '', gid = '', gecos = '', home = '', ...shell] = fields;
    if (!ACCOUNT_NAME.test(name) || !ID.test(uid) || !ID.test(gid)) continue;
    entries.push({ name, uid: Number(uid), gid: Number(gid), gecos, home, shell: shell.join(':') });
  }
  return entries;
}

/** Parses /etc/group; damaged lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of outputLines(text)) {
    const fields = line.split(':');
    if (fields.length < 4) continue;
    const [name = '', , gid = '', members = ''] = fields;
    if (!ACCOUNT_NAME.test(name) || !ID.test(gid)) continue;
    entries.push({
      name,
      gid: Number(gid),
      members: members.split(',').map((m) => m.trim()).filter((m) => m !== ''),
    });
  }
  return entries;
}

/**
 * Picks the human accounts (uid ≥ 1000 except the nobody uids) and root from /etc/passwd and marks
 * administrators: root, and members of sudo/wheel/admin, by membership or as primary group.
 * `groups` is null when /etc/group could not be read: then only root is known to be an admin.
 */
export function localUsersFrom(passwd: readonly PasswdEntry[], groups: readonly GroupEntry[] | null): LocalUser[] {
  const adminGroups = groups?.filter((g) => ADMIN_GROUPS.includes(g.name)) ?? [];
  const adminGids = new Set(adminGroups.map((g) => g.gid));
  const adminMembers = new Set(adminGroups.flatMap((g) => g.members));
  const users: LocalUser[] = [];
  const seen = new Set<string>();
  for (const entry of passwd) {
    const human = entry.uid >= FIRST_HUMAN_UID && !NOBODY_UIDS.has(entry.uid) && entry.name !== 'nobody';
    if ((entry.uid !== 0 && !human) || seen.has(entry.name)) continue;
    seen.add(entry.name);
    let admin: boolean | null;
    if (entry.uid === 0) admin = true;
    else if (groups === null) admin = null;
    else admin = adminGids.has(entry.gid) || adminMembers.has(entry.name);
    users.push({
      name: entry.name,
      uid: String(entry.uid),
      // GECOS: "Full Name,Room,Work phone,Home phone,Other".
      fullName: cleanText(entry.gecos.split(',')[0], 256),
      home: cleanText(entry.home),
      shell: cleanText(entry.shell),
      disabled: null,
      admin,
    });
  }
  return users;
}

/** Local users from /etc/passwd and /etc/group; throws a clear Error when /etc/passwd cannot be read. */
export async function collectLocalUsers(files: FileReader): Promise<LocalUser[]> {
  const [passwd, group] = await Promise.all([files.readText(PASSWD_FILE), files.readText(GROUP_FILE)]);
  if (passwd === null) throw new Error(`cannot read ${PASSWD_FILE}`);
  return localUsersFrom(parsePasswd(passwd), group === null ? null : parseGroup(group));
}
