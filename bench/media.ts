// Removable-media benchmark: `npm run bench:media [-- --plugs N --idle-seconds S --no-record]` (root, QEMU).
// Boots the end-to-end guest (test/e2e/), runs the headless agent in it against a collector on
// the host in block mode with an empty ledger, and plugs an unregistered USB stick N times. All
// times are read inside the guest on one clock (CLOCK_MONOTONIC): the kernel's block-device events
// of the disk and of its volume (`udevadm monitor`), the agent's decision (the time stamp of its
// "removable medium decided" log line), the modelled desktop auto-mount and the unmount
// (`findmnt --poll`). The agent's CPU time between events is read from /proc/<pid>/stat, its
// long-running helpers (udevadm monitor, findmnt --poll) included. Prints one JSON line; records
// it in BENCHMARKS.md.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GuestAgent } from '../test/e2e/harness/agent.js';
import { E2eCollector } from '../test/e2e/harness/collector.js';
import { Guest, saveArtifacts, type GuestProcess } from '../test/e2e/harness/guest.js';
import { plugAndWait, unplugAndWait } from '../test/e2e/harness/plug.js';
import { missingPrerequisites } from '../test/e2e/harness/prerequisites.js';
import { createStickImage, type StickSpec } from '../test/e2e/harness/sticks.js';
import { UdevMonitor } from '../test/e2e/harness/udev.js';
import { ensureGuestImage } from '../test/e2e/image/build.js';
import { machine, median, percentile, recordInBenchmarksMd, round } from './lib.js';

const GOALS = { decisionP95Ms: 300, unmountP95Ms: 1000, idleCpuPercent: 1 };
const root = fileURLToPath(new URL('..', import.meta.url));

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}
// 40 plugs (~2 s each under TCG): the p95 is then the 38th of 40 sorted values, not the largest.
const plugs = argument('--plugs', 40);
// A window as long as the agent's sync interval (60 s by default): "idle" then includes the one
// regular sync round a PC has in that time, at its natural rate.
const idleSeconds = argument('--idle-seconds', 60);
// Trial runs (another idle window, a few plugs) print their JSON without replacing the recorded figures.
const record = !process.argv.includes('--no-record');
const log = (line: string) => process.stderr.write(`${line}\n`);
const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

const missing = missingPrerequisites().filter((m) => !m.startsWith('dist/'));
if (missing.length > 0) throw new Error(`bench:media needs: ${missing.join('; ')}`);
log('building dist/ …');
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

const STICK: StickSpec = { id: 'bench', serial: 'BENCH-UNREG-0001', vendor: 'NoName', product: 'Flash Disk', label: 'BENCH', volumeId: 'be0c0001' };

/** One plug; every time in ms after the kernel's `add` of the disk. */
interface Plug {
  instance: string;
  /** The kernel's add of the volume's block device (the partition): "the volume appears". */
  volumeMs: number;
  /** udev announced the volume (its rules done): the earliest its file system can be read. */
  udevMs: number;
  decisionMs: number;
  /** The agent holds the disk (its log line): from then on the kernel refuses to mount it. */
  heldMs: number | null;
  /** The modelled desktop's mount ended: done (mounted) or refused. */
  mountAttemptMs: number | null;
  mountRefused: boolean;
  mountedMs: number | null;
  unmountedMs: number | null;
  enforced: boolean;
}

/** CPU ticks (user+system, own and waited-for children) of a guest process, from /proc/<pid>/stat. */
async function cpuTicks(guest: Guest, pid: number): Promise<{ own: number; withChildren: number }> {
  const stat = (await guest.readFile(`/proc/${pid}/stat`)).toString('utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const [utime, stime, cutime, cstime] = [fields[11]!, fields[12]!, fields[13]!, fields[14]!];
  return { own: utime + stime, withChildren: utime + stime + cutime + cstime };
}

/**
 * CPU ticks of the agent's running children (udevadm monitor, findmnt --poll): a child still
 * running is not in the agent's cutime/cstime, so it is read on its own. Keyed by pid.
 */
async function childTicks(guest: Guest, pid: number): Promise<Map<number, number>> {
  const ticks = new Map<number, number>();
  const list = await guest.readFile(`/proc/${pid}/task/${pid}/children`).then((b) => b.toString('utf8'), () => '');
  for (const child of list.trim().split(/\s+/).filter(Boolean).map(Number)) {
    const t = await cpuTicks(guest, child).catch(() => null);
    if (t) ticks.set(child, t.withChildren);
  }
  return ticks;
}

/** The agent's CPU use over `seconds` of guest time, in percent of one core. */
async function idleCpu(guest: Guest, agent: GuestAgent, seconds: number): Promise<{ ownPercent: number; withChildrenPercent: number; seconds: number; syncRounds: number; liveChildren: number }> {
  const ticksPerSecond = Number((await guest.execOk(['getconf', 'CLK_TCK'])).trim()) || 100;
  const startClock = await guest.clock();
  const start = await cpuTicks(guest, agent.pid);
  const startChildren = await childTicks(guest, agent.pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const end = await cpuTicks(guest, agent.pid);
  const endChildren = await childTicks(guest, agent.pid);
  const endClock = await guest.clock();
  const elapsed = (endClock.mono - startClock.mono) / 1000;
  const percent = (ticks: number) => round((ticks / ticksPerSecond / elapsed) * 100, 2);
  // A helper that started during the window counts from zero; one that ended is in cutime already.
  let children = 0;
  for (const [pid, t] of endChildren) children += t - (startChildren.get(pid) ?? 0);
  const syncRounds = agent.logs().filter((l) => l.msg === 'round finished' && l.at.mono >= startClock.mono && l.at.mono <= endClock.mono).length;
  return { ownPercent: percent(end.own - start.own), withChildrenPercent: percent(end.withChildren - start.withChildren + children), seconds: round(elapsed, 1), syncRounds, liveChildren: endChildren.size };
}

/**
 * The same agent build idling natively on this host (no emulation, no USB bus), for scale: what
 * TCG adds to the guest's figures. Its own state folder; it enrols as a second device.
 */
async function idleOnHost(collector: E2eCollector, seconds: number): Promise<{ ownPercent: number; withChildrenPercent: number; seconds: number }> {
  const state = await mkdtemp(join(tmpdir(), 'mamori-bench-media-host-'));
  const secret = await collector.enrollSecret();
  const child = spawn(process.execPath, [`${root}dist/src/agent/cli.js`, 'run', '--server', `http://127.0.0.1:${collector.port}`, '--enroll-secret', secret, '--state', state, '--allow-insecure-http'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MAMORI_LANG: 'en' },
  });
  try {
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    const deadline = Date.now() + 120_000;
    while (!err.includes('"round finished"') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 3000));
    const ticks = async () => {
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      return { own: f[11]! + f[12]!, all: f[11]! + f[12]! + f[13]! + f[14]! };
    };
    const tps = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const a = await ticks();
    const started = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = await ticks();
    const elapsed = (performance.now() - started) / 1000;
    return { ownPercent: round(((b.own - a.own) / tps / elapsed) * 100, 2), withChildrenPercent: round(((b.all - a.all) / tps / elapsed) * 100, 2), seconds: round(elapsed, 1) };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit').catch(() => {});
    await rm(state, { recursive: true, force: true });
  }
}

/** findmnt --poll prints one line per mount table change: ACTION TARGET SOURCE. */
function mountEvents(poll: GuestProcess, from: number): Array<{ action: string; target: string; source: string; mono: number }> {
  return poll.lines.slice(from).flatMap((l) => {
    const [action, target, source] = l.text.trim().split(/\s+/);
    return action && target && source && /^(mount|umount|remount|move)$/.test(action) ? [{ action, target, source, mono: l.mono }] : [];
  });
}

// These machines are shared: say how busy the host was, since TCG turns host load into guest time.
const hostLoad = round(loadavg()[0]!, 1);
const work = await mkdtemp(join(tmpdir(), 'mamori-bench-media-'));
const collector = await E2eCollector.start();
let guest: Guest | null = null;
try {
  const imagePath = join(work, 'stick.img');
  await createStickImage(imagePath, STICK, { 'README.TXT': Buffer.from('bench\r\n') });
  // Block mode, nothing registered; the default schedule (sync every 60 s), as a PC runs.
  await collector.cliOk(['media', 'mode', 'block', '--by', 'bench']);
  const { version } = await collector.policy();
  const secret = await collector.enrollSecret();
  const image = await ensureGuestImage({ log });
  guest = await Guest.boot({ image, log });
  const clock = await guest.clock();
  const wallToMono = (iso: string) => Date.parse(iso) - (clock.wall - clock.mono);
  await guest.automount(true);
  const monitor = await UdevMonitor.start(guest);
  const poll = await guest.spawn(['findmnt', '--poll', '-r', '-n', '-o', 'ACTION,TARGET,SOURCE']);
  const agent = await GuestAgent.start(guest, collector.guestUrl, secret);
  await agent.waitForLog((l) => l.msg === 'removable media: policy applied' && l.version === version, 240_000);
  await agent.waitForLog((l) => l.msg === 'round finished', 120_000);
  const watching = agent.logs().find((l) => l.msg === 'removable media: watching');
  log(`agent ready (usb-detection loaded: ${String(watching?.usbEvents)}, started: ${String(watching?.usbEventsStarted)}); measuring idle CPU for ${idleSeconds} s …`);
  await new Promise((r) => setTimeout(r, 3000));
  const idleBefore = await idleCpu(guest, agent, idleSeconds);

  const results: Plug[] = [];
  let afterPlugs = 0;
  for (let i = 0; i < plugs; i++) {
    process.stderr.write(`plug ${i + 1}/${plugs}\r`);
    const from = agent.mark();
    const pollFrom = poll.lines.length;
    const automountsBefore = guest.automounts.length;
    const stick = await plugAndWait(guest, monitor, STICK, imagePath, { automount: true, mayBeRefused: true });
    const name = stick.disk.replace('/dev/', '');
    const decided = await agent.waitForLog((l) => l.msg === 'removable medium decided' && typeof l.instance === 'string' && l.instance.startsWith(`${name}#`), 30_000, from);
    const instance = String(decided.instance);
    const held = agent.logs().slice(0).find((l) => l.msg === 'removable medium held' && l.instance === instance && l.ok === true) ?? null;
    const attempt = guest.automounts.slice(automountsBefore).find((e) => e.device === stick.volume) ?? null;
    // Mounted before the agent held it: wait until that mount is gone again.
    const deadline = Date.now() + 30_000;
    let mounted: { mono: number; target: string } | null = null;
    let unmounted: { mono: number } | null = null;
    while (Date.now() < deadline && !unmounted && stick.mountRefused === null) {
      const events = mountEvents(poll, pollFrom).filter((e) => e.source === stick.volume || e.target === stick.mountDir);
      mounted ??= events.find((e) => e.action === 'mount') ?? null;
      if (mounted) unmounted = events.find((e) => e.action === 'umount' && e.target === mounted!.target && e.mono >= mounted!.mono) ?? null;
      if (!unmounted) await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = stick.kernelAdd.monoMs;
    results.push({
      instance,
      volumeMs: stick.kernelVolumeAdd.monoMs - t0,
      udevMs: stick.udevVolumeAdd.monoMs - t0,
      decisionMs: wallToMono(decided.time) - t0,
      heldMs: held ? wallToMono(held.time) - t0 : null,
      mountAttemptMs: attempt ? attempt.mono - t0 : null,
      mountRefused: stick.mountRefused !== null,
      mountedMs: mounted ? mounted.mono - t0 : null,
      unmountedMs: unmounted ? unmounted.mono - t0 : null,
      enforced: false,
    });
    const removedFrom = agent.mark();
    await unplugAndWait(guest, monitor, stick);
    await agent.waitForLog((l) => l.msg === 'removable medium removed' && l.instance === instance, 30_000, removedFrom);
    afterPlugs = agent.mark();
    await new Promise((r) => setTimeout(r, 1000));
  }
  process.stderr.write('\n');
  // "Between events" starts once the plugs' events are delivered (the next sync round), and at
  // least 20 s after the last plug: without its own notifications the watcher polls fast for a
  // while after USB activity (hotMs).
  const lastPlug = Date.now();
  await agent.waitForLog((l) => l.msg === 'round finished' && l.pending === 0, 180_000, afterPlugs);
  await new Promise((r) => setTimeout(r, Math.max(3000, 20_000 - (Date.now() - lastPlug))));
  const idleAfter = await idleCpu(guest, agent, idleSeconds);
  await agent.stop();
  for (const r of results) {
    const blocked = agent.logs().filter((l) => l.msg === 'removable medium blocked' && l.instance === r.instance);
    r.enforced = blocked.length > 0 && blocked.every((l) => l.enforced === true);
  }
  const hostIdle = await idleOnHost(collector, idleSeconds);
  await saveArtifacts('bench-media', { 'agent.log': agent.process.lines.map((l) => l.text).join('\n'), 'udev-monitor.txt': monitor.text(), 'findmnt-poll.txt': poll.lines.map((l) => `${l.mono.toFixed(1)} ${l.text}`).join('\n') });

  const unmounted = results.filter((r): r is Plug & { unmountedMs: number; mountedMs: number } => r.unmountedMs !== null && r.mountedMs !== null);
  const stats = (values: number[]) => (values.length === 0 ? null : { median: round(median(values), 0), p95: round(percentile(values, 95), 0), max: round(Math.max(...values), 0) });
  const idlePercent = Math.max(idleBefore.withChildrenPercent, idleAfter.withChildrenPercent);
  // Since when a plug's stick cannot be used: the hold when the desktop's mount was refused (it
  // never was mounted), the end of the mount when a mount got through first; null when neither.
  const unusable = (r: Plug): number | null => (r.mountRefused ? r.heldMs : r.unmountedMs);
  const settled = results.filter((r) => unusable(r) !== null);
  // The issue's goal is judged from the volume's appearance (the kernel's add of the partition);
  // the disk's add, a few ms earlier, is the other reference.
  const fromVolume = {
    decisionMs: stats(results.map((r) => r.decisionMs - r.volumeMs))!,
    unusableMs: stats(settled.map((r) => unusable(r)! - r.volumeMs)),
    heldMs: stats(results.flatMap((r) => (r.heldMs === null ? [] : [r.heldMs - r.volumeMs]))),
    unmountMs: stats(unmounted.map((r) => r.unmountedMs - r.volumeMs)),
  };
  const result = {
    bench: 'media',
    plugs,
    fromVolume,
    fromDisk: {
      decisionMs: stats(results.map((r) => r.decisionMs))!,
      volumeMs: stats(results.map((r) => r.volumeMs))!,
      udevVolumeMs: stats(results.map((r) => r.udevMs))!,
      desktopMountAttemptMs: stats(results.flatMap((r) => (r.mountAttemptMs === null ? [] : [r.mountAttemptMs]))),
    },
    mountsRefused: results.filter((r) => r.mountRefused).length,
    mountsUndone: unmounted.length,
    mountToUnmountMs: stats(unmounted.map((r) => r.unmountedMs - r.mountedMs)),
    notSettled: results.length - settled.length,
    notEnforced: results.filter((r) => !r.enforced).length,
    idleCpu: { before: idleBefore, after: idleAfter, host: hostIdle },
    nativeUsbEvents: watching?.usbEvents ?? null,
    // Loaded, but started only where the OS's own device notifications do not run.
    nativeUsbEventsStarted: watching?.usbEventsStarted ?? null,
    // How long the agent's warm-up of the decision path took at its start (guest time, ms).
    warmUpMs: typeof watching?.warmUpMs === 'number' ? watching.warmUpMs : null,
    osEvents: watching?.osEvents ?? null,
    goals: GOALS,
    meetsGoals: fromVolume.decisionMs.p95 <= GOALS.decisionP95Ms && settled.length === results.length && fromVolume.unusableMs !== null && fromVolume.unusableMs.p95 <= GOALS.unmountP95Ms && idlePercent <= GOALS.idleCpuPercent,
    guest: { accel: 'tcg', vcpus: 1, memMb: 1024, kernel: guest.hello?.kernel ?? null },
    hostLoad1m: { atStart: hostLoad, atEnd: round(loadavg()[0]!, 1) },
    machine: machine(),
    raw: results.map((r) => ({
      v: round(r.volumeMs, 1), udev: round(r.udevMs, 0), d: round(r.decisionMs, 0), h: r.heldMs === null ? null : round(r.heldMs, 0),
      a: r.mountAttemptMs === null ? null : round(r.mountAttemptMs, 0), refused: r.mountRefused, m: r.mountedMs === null ? null : round(r.mountedMs, 0), u: r.unmountedMs === null ? null : round(r.unmountedMs, 0),
    })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);

  const ok = (value: number, goal: number) => (value <= goal ? '✅' : '❌');
  const r = result;
  const ms = (v: number | undefined) => (v === undefined ? '—' : `${v} ms`);
  const row = (label: string, st: { median: number; p95: number; max: number } | null, goal = '—') => `| ${label} | ${ms(st?.median)} | ${ms(st?.p95)} | ${ms(st?.max)} | ${goal} |`;
  const perPlug = (f: (p: Plug) => number | null) => results.map((p) => { const v = f(p); return v === null ? '—' : String(Math.round(v)); }).join(', ');
  const osEvents = r.osEvents as { devices?: boolean; mounts?: boolean } | null;
  if (record) recordInBenchmarksMd(
    'media',
    `## Removable media on a real kernel (\`npm run bench:media\`)

${r.plugs} plugs of an unregistered USB stick into the end-to-end guest (test/e2e/: Debian 12, kernel ${r.guest.kernel}, QEMU
**TCG emulation without KVM**, 1 vCPU, 1 GiB; the agent runs \`node dist/src/agent/cli.js run\` as root, block mode,
its own OS notifications (udevadm monitor, findmnt --poll): devices ${String(osEvents?.devices ?? false)}, mounts ${String(osEvents?.mounts ?? false)};
usb-detection loaded: ${String(r.nativeUsbEvents)}, started: ${String(r.nativeUsbEventsStarted)}${r.nativeUsbEvents && !r.nativeUsbEventsStarted ? ' — udev\'s own events cover devices' : ''}). ${r.machine.date.slice(0, 10)}, host ${r.machine.cores} × ${r.machine.cpu}, Node ${r.machine.node};
host 1-minute load average ${r.hostLoad1m.atStart} at the start, ${r.hostLoad1m.atEnd} at the end (the machine is shared; TCG turns host load into guest time).
Times are guest CLOCK_MONOTONIC: the kernel's \`add\` events of the disk and of its volume (the partition) from \`udevadm monitor\`,
the agent's decision and its hold of the disk (their log time stamps), the modelled desktop auto-mount (a mount as soon as
udev announced the file system) and, when a mount got through, its end (\`findmnt --poll\`). TCG runs guest code several
times slower than a real PC, so these are upper bounds for the agent; udev and the kernel are slowed alike.

**The goals are judged from the volume's appearance** (the kernel's add of the partition: "after the volume appears"); the
disk's add comes ${r.fromDisk.volumeMs.median} ms (median) before it. A blocked stick is *held* at the decision: the agent opens the
whole disk exclusively (O_EXCL), and the kernel then refuses every mount of it (EBUSY), so the desktop's auto-mount fails
instead of being undone. The unmount goal is judged on "not usable any more": the hold when the desktop's mount was refused
(the stick was never mounted), the unmount when a mount got through first (it is then undone on the mount event).
Desktop mounts refused: ${r.mountsRefused} of ${r.plugs}; mounts that got through and were undone: ${r.mountsUndone}.

| measure | median | p95 | max | goal |
|---|---|---|---|---|
${row('decision after the volume appeared', r.fromVolume.decisionMs, `p95 ≤ ${GOALS.decisionP95Ms} ms ${ok(r.fromVolume.decisionMs.p95, GOALS.decisionP95Ms)}`)}
${row('not usable any more (held before any mount, or unmounted) after the volume appeared', r.fromVolume.unusableMs, `p95 ≤ ${GOALS.unmountP95Ms} ms ${r.fromVolume.unusableMs ? ok(r.fromVolume.unusableMs.p95, GOALS.unmountP95Ms) : '❌'}`)}
${row('(held after the volume appeared)', r.fromVolume.heldMs)}
${row('(unmounted after the volume appeared, mounts that got through)', r.fromVolume.unmountMs)}
${row('(desktop mount → agent\'s unmount, mounts that got through)', r.mountToUnmountMs)}
${row("(decision after the kernel's add of the disk)", r.fromDisk.decisionMs)}
${row("(udev has announced the volume, after the disk's add)", r.fromDisk.udevVolumeMs)}
${row("(desktop's mount attempt over, after the disk's add)", r.fromDisk.desktopMountAttemptMs)}
| agent CPU between events in the guest, before / after the plugs (${r.idleCpu.before.seconds} s each, incl. its child processes, running ones too) | ${r.idleCpu.before.withChildrenPercent} % / ${r.idleCpu.after.withChildrenPercent} % of one core | | | ≤ ${GOALS.idleCpuPercent} % ${ok(idlePercent, GOALS.idleCpuPercent)} |
| (the same agent idling natively on the host: no udev daemon there, so the lsblk + poll fallback) | ${r.idleCpu.host.withChildrenPercent} % of one core | | | — |

The p95 of ${r.plugs} plugs is the nearest rank: the ${ordinal(Math.ceil(0.95 * r.plugs))} of ${r.plugs} sorted values (${Math.ceil(0.95 * r.plugs) === r.plugs ? 'the largest' : `the ${ordinal(r.plugs - Math.ceil(0.95 * r.plugs) + 1)} largest`}). The agent warms its decision path when
it starts (a made-up stick through the same code, nothing touched: ${r.warmUpMs ?? '—'} ms in the guest); the first plug comes after the idle
window. Per plug, in plug order (ms after the volume appeared):
decision ${perPlug((p) => p.decisionMs - p.volumeMs)}; not usable any more ${perPlug((p) => { const u = p.mountRefused ? p.heldMs : p.unmountedMs; return u === null ? null : u - p.volumeMs; })}.

Plugs neither held nor unmounted: ${r.notSettled}; blocks not enforced: ${r.notEnforced}. Sync rounds inside the idle windows: ${r.idleCpu.before.syncRounds} / ${r.idleCpu.after.syncRounds}.

Raw: \`${JSON.stringify({ ...result, raw: undefined })}\``,
  );
} finally {
  await guest?.shutdown().catch(() => {});
  await collector.stop();
  await rm(work, { recursive: true, force: true });
}
