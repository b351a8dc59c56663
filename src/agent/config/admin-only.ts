import { realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Is a file admin-only on POSIX? The managed configuration and the pinned CA decide where the
 * agent sends everything and whom it trusts, so a user who can write either — or replace it by
 * writing a directory above it — could point the agent at a server of their own. The same rule
 * as OpenSSH's StrictModes: the file and every directory above it belong to root (or to the user
 * the agent runs as) and are not writable by group or others, except sticky directories (/tmp)
 * and groups that are administrators anyway.
 */

/** What the check needs to know about a path; following symbolic links. */
export interface PathFacts {
  uid: number;
  gid: number;
  mode: number;
  isDirectory: boolean;
}

/** The file system as the check sees it: injectable so tests can present any owner and mode. */
export interface FileProbe {
  stat(path: string): Promise<PathFacts>;
  realpath(path: string): Promise<string>;
  /** The uid the agent runs as; null where POSIX ownership does not apply (Windows). */
  currentUid: number | null;
  /** Groups whose members are administrators: group-writable is fine for these (root/wheel, macOS admin). */
  adminGids: readonly number[];
}

export type AdminOnlyCheck = { ok: true } | { ok: false; path: string; problem: string };

const GROUP_OR_OTHER_WRITE = 0o022;
const OTHER_WRITE = 0o002;
const STICKY = 0o1000;

/** The probe over the real file system for the running process. */
export function systemProbe(adminGids: readonly number[]): FileProbe {
  return {
    stat: async (path) => {
      const s = await stat(path);
      return { uid: s.uid, gid: s.gid, mode: s.mode, isDirectory: s.isDirectory() };
    },
    realpath: (path) => realpath(path),
    currentUid: typeof process.getuid === 'function' ? process.getuid() : null,
    adminGids,
  };
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  let dir = dirname(path);
  for (;;) {
    out.push(dir);
    const up = dirname(dir);
    if (up === dir) return out;
    dir = up;
  }
}

function problemWith(path: string, facts: PathFacts, probe: FileProbe & { currentUid: number }): string | null {
  if (facts.uid !== 0 && facts.uid !== probe.currentUid) {
    return `owned by uid ${facts.uid}, not by root or by the agent's user (uid ${probe.currentUid})`;
  }
  const writable = facts.mode & GROUP_OR_OTHER_WRITE;
  if (writable === 0) return null;
  if (facts.isDirectory && (facts.mode & STICKY) !== 0) return null;
  const groupOnly = (writable & OTHER_WRITE) === 0;
  if (groupOnly && probe.adminGids.includes(facts.gid)) return null;
  return `writable by ${groupOnly ? `group ${facts.gid}` : 'other users'} (mode ${(facts.mode & 0o7777).toString(8).padStart(4, '0')})`;
}

/**
 * Checks that `path`, the file it links to, and every directory above either cannot be changed by
 * a user other than root or the agent's own user. Always ok where currentUid is null (Windows:
 * ProgramData ACLs are the installer's job). Never throws: an unreadable path is a problem.
 */
export async function checkAdminOnly(path: string, probe: FileProbe): Promise<AdminOnlyCheck> {
  if (probe.currentUid === null) return { ok: true };
  const posixProbe = { ...probe, currentUid: probe.currentUid };
  const given = resolve(path);
  let real: string;
  try {
    real = await probe.realpath(given);
  } catch (error) {
    return { ok: false, path: given, problem: `cannot be resolved: ${(error as Error).message}` };
  }
  const toCheck = [...new Set([real, ...ancestors(real), ...ancestors(given)])];
  for (const p of toCheck) {
    let facts: PathFacts;
    try {
      facts = await probe.stat(p);
    } catch (error) {
      return { ok: false, path: p, problem: `cannot be inspected: ${(error as Error).message}` };
    }
    const problem = problemWith(p, facts, posixProbe);
    if (problem) return { ok: false, path: p, problem };
  }
  return { ok: true };
}
