import type { Platform } from '../../shared/platform.js';
import type { CommandRunner } from '../collectors/exec.js';

/** One running process as the watcher sees it. Texts are as the OS gave them (may hold controls). */
export interface ProcessObservation {
  pid: number;
  ppid: number | null;
  /**
   * This process instance: pid, start time and program, so that a pid the OS hands out again, or
   * a process that exec()s another program, is seen as a new process.
   */
  key: string;
  /** Executable file name (Linux: of /proc/<pid>/exe, else the kernel's short name). */
  name: string;
  /** Full path of the executable, where the OS tells us. */
  path: string | null;
  /** Account the process runs as. */
  user: string | null;
  /** Numeric user id (Unix), to tell our own processes from others'. */
  uid: number | null;
  startedAt: string | null;
  /** The file to hash for this process (Linux: /proc/<pid>/exe, which is the running image even if the file was replaced). */
  hashSource: string | null;
}

/** The processes a source was told it need not detail again (the watcher's map, by key). */
export interface KnownProcesses {
  has(key: string): boolean;
}

/** Lists running processes. `known` lets a source skip the costly details of processes it saw before. */
export interface ProcessSource {
  /**
   * Every running process. Details (path, user) are filled only for keys not in `known`; for
   * known ones `name`/`path` may be left empty, as the watcher already has them.
   */
  list(known: KnownProcesses): Promise<ProcessObservation[]>;
}

export interface ProcessSourceDeps {
  run: CommandRunner;
  commandTimeoutMs: number;
}

/** The process source for one OS (loaded only on that OS and in tests). */
export async function processSource(platform: Platform, deps: ProcessSourceDeps): Promise<ProcessSource> {
  switch (platform) {
    case 'linux':
      return new (await import('./processes.linux.js')).ProcFsSource();
    case 'darwin':
      return new (await import('./processes.darwin.js')).PsSource(deps);
    case 'win32':
      return new (await import('./processes.win32.js')).TasklistSource(deps);
  }
}
