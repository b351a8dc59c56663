import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import type { KnownProcesses, ProcessObservation, ProcessSource } from './processes.js';

/**
 * Linux: reads /proc directly (no `ps` to spawn, so a poll costs a directory listing and one small
 * read per process). Details of a process are read once, when it is first seen:
 * /proc/<pid>/exe (readlink: the real executable, not argv[0]), the owner of /proc/<pid> (uid).
 */

/** Fields of /proc/<pid>/stat that the watcher needs. */
export interface ProcStat {
  pid: number;
  /** The kernel's name (comm, at most 15 bytes: truncated). */
  comm: string;
  ppid: number;
  /** Clock ticks after boot when the process started (field 22). */
  startTicks: number;
}

/**
 * Parses one /proc/<pid>/stat line. comm sits in parentheses and may itself hold spaces and
 * parentheses, so the fields after it are found from the last `)`. Null for anything else.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // Fields after comm, counted from 3 (state): ppid is field 4, starttime field 22. Read by
  // walking the spaces rather than split(), as this runs for every process on every poll.
  let ppid = Number.NaN;
  let startTicks = Number.NaN;
  let field = 2;
  let at = close + 1;
  while (at < text.length && field < 22) {
    while (text.charCodeAt(at) === 0x20) at++;
    let end = at;
    while (end < text.length && text.charCodeAt(end) !== 0x20 && text.charCodeAt(end) !== 0x0a) end++;
    if (end === at) break;
    field++;
    if (field === 4) ppid = Number(text.slice(at, end));
    else if (field === 22) startTicks = Number(text.slice(at, end));
    at = end;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(ppid) || ppid < 0 || !Number.isSafeInteger(startTicks) || startTicks < 0) return null;
  return { pid, comm: text.slice(open + 1, close), ppid, startTicks };
}

/** The boot time (epoch seconds) from /proc/stat's `btime` line, or null. */
export function parseBootTime(procStat: string): number | null {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return m ? Number(m[1]) : null;
}

/** uid → account name from /etc/passwd text; damaged lines are skipped. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || fields[0] === '' || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    if (Number.isSafeInteger(uid) && uid >= 0 && !users.has(uid)) users.set(uid, fields[0]!);
  }
  return users;
}

// USER_HZ: the unit of /proc/<pid>/stat times. 100 on every Linux architecture Node runs on
// (it is part of the kernel ABI, independent of CONFIG_HZ); Node cannot ask sysconf.
const USER_HZ = 100;
const DELETED = ' (deleted)';
const utf8 = new TextDecoder('utf-8');

export class ProcFsSource implements ProcessSource {
  private bootTime: number | null | undefined;
  private users = new Map<number, string>();
  private usersReadAt = 0;
  private readonly buffer = Buffer.alloc(4096);

  constructor(private readonly root = '/proc', private readonly passwdFile = '/etc/passwd') {}

  async list(known: KnownProcesses): Promise<ProcessObservation[]> {
    let entries: string[];
    try {
      entries = readdirSync(this.root);
    } catch {
      return [];
    }
    const out: ProcessObservation[] = [];
    for (const entry of entries) {
      const first = entry.charCodeAt(0);
      if (first < 0x30 || first > 0x39) continue;
      const stat = this.readStat(entry);
      // Kernel threads (kthreadd and its children) have no executable to judge.
      if (stat === null || stat.pid === 2 || stat.ppid === 2) continue;
      // exec() keeps the pid and start time but changes comm: a fork that became another program is new.
      const key = `${stat.pid}:${stat.startTicks}:${stat.comm}`;
      if (known.has(key)) {
        out.push({ pid: stat.pid, ppid: stat.ppid, key, name: '', path: null, user: null, uid: null, startedAt: null, hashSource: null });
        continue;
      }
      out.push(this.details(stat, key));
    }
    return out;
  }

  // One open/read/close into a reused buffer: half the cost of readFileSync, which matters when
  // it is done for every process every poll. A stat line is far shorter than the buffer.
  private readStat(pid: string): ProcStat | null {
    let fd: number | null = null;
    try {
      fd = openSync(`${this.root}/${pid}/stat`, 'r');
      const length = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      return parseProcStat(this.buffer.toString('latin1', 0, length));
    } catch {
      return null; // exited meanwhile
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  private details(stat: ProcStat, key: string): ProcessObservation {
    const dir = `${this.root}/${stat.pid}`;
    let path: string | null = null;
    try {
      // Bytes, decoded once: a file name that is not UTF-8 shows U+FFFD instead of failing.
      path = utf8.decode(readlinkSync(`${dir}/exe`, { encoding: 'buffer' }));
      if (path.endsWith(DELETED)) path = path.slice(0, -DELETED.length);
    } catch {
      // Another user's process (EACCES) or one that just exited: no path, judged by name only.
    }
    let uid: number | null = null;
    try {
      uid = statSync(dir).uid;
    } catch {
      // exited
    }
    const name = path ? path.slice(path.lastIndexOf('/') + 1) : utf8.decode(Buffer.from(stat.comm, 'latin1'));
    const boot = this.boot();
    return {
      pid: stat.pid,
      ppid: stat.ppid,
      key,
      name,
      path,
      uid,
      user: uid === null ? null : this.userName(uid),
      startedAt: boot === null ? null : new Date((boot + stat.startTicks / USER_HZ) * 1000).toISOString(),
      hashSource: path === null ? null : `${dir}/exe`,
    };
  }

  private boot(): number | null {
    if (this.bootTime === undefined) {
      try {
        this.bootTime = parseBootTime(readFileSync(`${this.root}/stat`, 'latin1'));
      } catch {
        this.bootTime = null;
      }
    }
    return this.bootTime;
  }

  private userName(uid: number): string {
    let name = this.users.get(uid);
    // An account added since the last read: read /etc/passwd again, at most once a minute.
    if (name === undefined && Date.now() - this.usersReadAt > 60_000) {
      this.usersReadAt = Date.now();
      try {
        this.users = parsePasswd(readFileSync(this.passwdFile, 'utf8'));
      } catch {
        // keep what we had
      }
      name = this.users.get(uid);
    }
    return name ?? String(uid);
  }
}
