import type { Guest, GuestLine, GuestProcess } from './guest.js';
import { REPO } from './guest.js';

/** The compiled agent CLI, read by the guest through the 9p share (`npm run build` makes it). */
export const AGENT_CLI = `${REPO}/dist/src/agent/cli.js`;

/** Where the guest's agent keeps its identity, outbox and policy. */
export const AGENT_STATE = '/var/lib/mamori';

/** One JSON line of the agent's log (stderr), with the guest's clocks when it was printed. */
export interface AgentLogLine {
  time: string;
  level: string;
  msg: string;
  [key: string]: unknown;
  /** When the runner received the line (guest clocks, ms). */
  at: GuestLine;
}

/** The headless agent (`mamori-agent run`) running as root inside the guest. */
export class GuestAgent {
  private constructor(readonly process: GuestProcess) {}

  /** Starts `mamori-agent run` against the collector at `serverUrl` (as the guest sees it). */
  static async start(guest: Guest, serverUrl: string, enrollSecret: string, extraArgs: string[] = []): Promise<GuestAgent> {
    const process = await guest.spawn(
      ['node', AGENT_CLI, 'run', '--server', serverUrl, '--enroll-secret', enrollSecret, '--state', AGENT_STATE, '--allow-insecure-http', ...extraArgs],
      { env: { MAMORI_LANG: 'en' }, cwd: REPO },
    );
    return new GuestAgent(process);
  }

  get pid(): number {
    return this.process.pid;
  }

  /** Every JSON log line so far (non-JSON lines, e.g. a Node warning, are skipped). */
  logs(): AgentLogLine[] {
    return this.process.lines.flatMap((line) => {
      const parsed = parseLogLine(line);
      return parsed ? [parsed] : [];
    });
  }

  /** Resolves with the first log line from index `from` on that matches. */
  async waitForLog(match: (line: AgentLogLine) => boolean, timeoutMs: number, from = 0): Promise<AgentLogLine> {
    const line = await this.process.waitForLine((l) => {
      const parsed = parseLogLine(l);
      return parsed !== null && match(parsed);
    }, timeoutMs, from);
    return parseLogLine(line)!;
  }

  /** Index of the next line to come, to wait only for what happens after now. */
  mark(): number {
    return this.process.lines.length;
  }

  /**
   * True when the agent holds an inotify watch on the root of the file system mounted at
   * `mountDir` (how Node's fs.watch watches on Linux): the take-out record is listening there.
   * Read from /proc/<pid>/fdinfo, so it does not depend on what the agent chooses to log.
   */
  async isWatching(guest: Guest, mountDir: string): Promise<boolean> {
    const st = await guest.exec(['stat', '-c', '%d %i', mountDir]);
    if (st.code !== 0) return false;
    const [dev, ino] = st.stdout.trim().split(' ').map(Number) as [number, number];
    // stat gives the user-space dev_t; fdinfo prints the kernel's (major << 20 | minor) in hex.
    const major = (dev >> 8) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    const sdev = ((major << 20) | minor).toString(16);
    const fdinfo = await guest.exec(['grep', '-rh', '^inotify', `/proc/${this.pid}/fdinfo/`]);
    return fdinfo.stdout.split('\n').some((line) => line.includes(` ino:${ino.toString(16)} `) && line.includes(` sdev:${sdev} `));
  }

  /** SIGTERM and wait: the agent records agent.stopped and closes its outbox. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.process.exitStatus) return;
    await this.process.signal('SIGTERM');
    try {
      await this.process.waitForExit(timeoutMs);
    } catch {
      await this.process.signal('SIGKILL');
    }
  }

  tail(count = 60): string {
    return this.process.tail(count);
  }
}

export function parseLogLine(line: GuestLine): AgentLogLine | null {
  if (line.stream !== 'stderr' || !line.text.startsWith('{')) return null;
  try {
    const value = JSON.parse(line.text) as Record<string, unknown>;
    if (typeof value.msg !== 'string' || typeof value.time !== 'string') return null;
    return { ...(value as { time: string; level: string; msg: string }), at: line };
  } catch {
    return null;
  }
}
