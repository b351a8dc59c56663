import type { ProcessInfo } from '../../../shared/inventory/index.js';
import { localDateTimeToIso, nonNegativeInt, record, list, text } from './normalize.js';

/**
 * The full executable path of one process as far as the library's result tells it.
 * On Windows `path` is already the full ExecutablePath ("C:\Windows\System32\svchost.exe").
 * On macOS and Linux the library splits the command line: `path` is the directory of an absolute
 * argv[0] and `command` the file name, so the two are joined. Anything else (a relative or
 * garbled path, "node ." from `node ./script.js`) gives null rather than a guess.
 * NOTE: on Unix argv[0] is set by the process itself, so this path is a hint, not proof.
 */
export function executablePath(path: unknown, command: unknown): string | null {
  const dir = text(path, 4096);
  if (dir === null) return null;
  if (/^[a-z]:\\/i.test(dir) || dir.startsWith('\\\\')) return dir;
  if (!dir.startsWith('/')) return null;
  const file = text(command, 1024);
  if (file === null || file.includes('/')) return null;
  const joined = `${dir.replace(/\/+$/, '')}/${file}`;
  return joined.length <= 4096 ? joined : null;
}

/**
 * Maps si.processes().list to the processes section. Command lines and arguments are never read
 * (they can carry passwords). Kernel threads are left out: on Linux they are kthreadd (pid 2,
 * named "kthreadd") and its children; they have no executable, so no software rule can match
 * them, and they make up half of a typical list. The rule is on the data, not the OS, because
 * only Linux has a kthreadd. Entries without a valid pid, or with neither a name nor a path, are
 * skipped; the list is sorted by pid.
 */
export function mapProcesses(siProcesses: unknown): ProcessInfo[] {
  const entries = list(record(siProcesses).list).map(record);
  const kthreadd = entries.some((p) => p.pid === 2 && p.name === 'kthreadd');
  const byPid = new Map<number, ProcessInfo>();
  for (const p of entries) {
    const pid = nonNegativeInt(p.pid);
    if (pid === null || byPid.has(pid)) continue;
    const ppid = nonNegativeInt(p.parentPid);
    if (kthreadd && (pid === 2 || ppid === 2)) continue;
    const path = executablePath(p.path, p.command);
    const name = text(p.name) ?? (path === null ? null : path.split(/[\\/]/).pop() ?? null);
    if (name === null) continue;
    byPid.set(pid, {
      pid,
      ppid,
      name,
      path,
      user: text(p.user, 256),
      startedAt: localDateTimeToIso(p.started),
    });
  }
  return [...byPid.values()].sort((a, b) => a.pid - b.pid).slice(0, 100_000);
}
