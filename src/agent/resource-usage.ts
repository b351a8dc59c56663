import { readFileSync } from 'node:fs';

/** CPU time and peak memory of this process, for `scan --stats` and the benchmarks. */
export interface ResourceUsage {
  /** User + system CPU of this process and of the child processes it waited for (Linux), in ms. */
  cpuMs: number;
  /** Whether `cpuMs` includes child processes (the OS tools a scan runs). */
  includesChildren: boolean;
  /** Peak resident set size of this process, in MiB. */
  peakRssMb: number;
}

/**
 * Reads this process's resource usage. On Linux the children's CPU comes from /proc/self/stat
 * (cutime, cstime), since Node reports only its own; elsewhere only this process is counted.
 */
export function resourceUsage(): ResourceUsage {
  const own = process.resourceUsage();
  const peakRssMb = own.maxRSS / 1024;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces), see proc(5): utime=14 stime=15 cutime=16 cstime=17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].map((i) => Number(fields[i]));
    if (ticks.every(Number.isFinite)) {
      // USER_HZ is 100 on every Linux the agent supports.
      return { cpuMs: ticks.reduce((a, b) => a + b, 0) * 10, includesChildren: true, peakRssMb };
    }
  } catch {
    // not Linux
  }
  return { cpuMs: (own.userCPUTime + own.systemCPUTime) / 1000, includesChildren: false, peakRssMb };
}
