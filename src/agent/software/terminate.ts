import type { Platform } from '../../shared/platform.js';
import type { CommandRunner } from '../collectors/exec.js';
import type { ProcessObservation } from './processes.js';

/** What ending a process tree did. */
export interface TreeEnding {
  ended: number[];
  /** Processes that could not be ended (gone already, or not ours to end). */
  failed: number[];
}

/** Ends a process and everything it started. */
export interface ProcessTerminator {
  endTree(root: number, processes: readonly ProcessObservation[]): Promise<TreeEnding>;
}

/**
 * The pids of `root` and its descendants (parents before children), from one process listing.
 * Pids in `protectedPids` (the agent itself and its ancestors, init) are never included.
 */
export function processTree(root: number, processes: readonly ProcessObservation[], protectedPids: ReadonlySet<number>): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    if (p.ppid === null || p.ppid === p.pid) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const tree: number[] = [];
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid) || pid <= 1 || protectedPids.has(pid)) continue;
    seen.add(pid);
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** The agent's own pid and its ancestors, as far as one listing shows them. */
export function agentLineage(self: number, processes: readonly ProcessObservation[]): Set<number> {
  const parent = new Map(processes.map((p) => [p.pid, p.ppid]));
  const lineage = new Set<number>([self]);
  let current: number | null | undefined = parent.get(self);
  while (current !== null && current !== undefined && current > 0 && !lineage.has(current)) {
    lineage.add(current);
    current = parent.get(current);
  }
  return lineage;
}

type Signaller = (pid: number, signal: NodeJS.Signals) => void;

/**
 * Unix: every process of the tree is stopped first (SIGSTOP), so that none can start a
 * replacement while the others are being ended, then killed (SIGKILL: prohibited software gets
 * no chance to clean up or to ignore the signal). A standard user can only end their own
 * processes; others' fail with EPERM and are reported as failed.
 */
export class SignalTerminator implements ProcessTerminator {
  constructor(
    private readonly protectedPids: () => ReadonlySet<number> = () => new Set([process.pid, process.ppid]),
    private readonly signal: Signaller = (pid, sig) => process.kill(pid, sig),
  ) {}

  async endTree(root: number, processes: readonly ProcessObservation[]): Promise<TreeEnding> {
    const protectedPids = new Set([...this.protectedPids(), ...agentLineage(process.pid, processes)]);
    const tree = processTree(root, processes, protectedPids);
    for (const pid of tree) this.trySignal(pid, 'SIGSTOP');
    const ended: number[] = [];
    const failed: number[] = [];
    for (const pid of tree) (this.trySignal(pid, 'SIGKILL') ? ended : failed).push(pid);
    return { ended, failed };
  }

  private trySignal(pid: number, signal: NodeJS.Signals): boolean {
    try {
      this.signal(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Windows: `taskkill /PID n /T /F` ends the process and its descendants (Windows tracks the tree). */
export class TaskkillTerminator implements ProcessTerminator {
  constructor(private readonly run: CommandRunner, private readonly timeoutMs = 5000) {}

  async endTree(root: number, processes: readonly ProcessObservation[]): Promise<TreeEnding> {
    if (root <= 4 || root === process.pid || agentLineage(process.pid, processes).has(root)) return { ended: [], failed: [root] };
    try {
      const result = await this.run('taskkill', ['/PID', String(root), '/T', '/F'], { timeoutMs: this.timeoutMs });
      return result.code === 0 ? { ended: [root], failed: [] } : { ended: [], failed: [root] };
    } catch {
      return { ended: [], failed: [root] };
    }
  }
}

/** The terminator for one OS. */
export function terminatorFor(platform: Platform, run: CommandRunner): ProcessTerminator {
  return platform === 'win32' ? new TaskkillTerminator(run) : new SignalTerminator();
}
