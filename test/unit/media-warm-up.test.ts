import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../src/agent/collectors/exec.js';
import type { AgentLog } from '../../src/agent/log.js';
import { LinuxLiveWatch } from '../../src/agent/media/linux/live.js';
import { LinuxMediaSource } from '../../src/agent/media/linux/source.js';
import { WARM_UP_EVENTS, WARM_UP_SERIAL } from '../../src/agent/media/linux/warm-up.js';
import { MediaService } from '../../src/agent/media/service.js';
import type { ServiceContext } from '../../src/agent/services.js';
import { DEFAULT_POLICY } from '../../src/shared/policy.js';
import { MONITOR_BANNER, monitorBlocks, qemu, recordedSysfs, tailOf, until } from '../helpers/media-linux.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/**
 * The warm-up at start (MediaService.warmUp → LinuxMediaSource.warmUp) runs the decision path on
 * a made-up stick so that the first real medium is decided as fast as later ones. It must be
 * invisible: no event, notice, prompt or log line of a medium, no command, no read of the OS's
 * sysfs or mount table, no notification to the watcher, nothing held, and what the source lists
 * afterwards is what it listed before.
 */

const tempDir = tempDirs('mamori-warm-up-');
describe('warm-up of the decision path', () => {
  it('lists a made-up stick through the live lister, and touches nothing of the source or the OS', async () => {
    const dir = tempDir();
    const udevFile = join(dir, 'udev.txt');
    const mountFile = join(dir, 'mounts.txt');
    writeFileSync(udevFile, MONITOR_BANNER);
    writeFileSync(mountFile, '');
    const commands: string[] = [];
    const run: CommandRunner = async (file, args) => {
      commands.push([file, ...args].join(' '));
      throw new Error('no command in this test');
    };
    const reads: string[] = [];
    let mountReads = 0;
    const source = new LinuxMediaSource({
      run, sysfs: recordedSysfs('stick-partitioned', reads), readMountInfo: async () => (mountReads++, qemu('stick-partitioned/mountinfo.txt')), udisks: false, udevRunning: true,
      live: { udevadm: tailOf(udevFile), findmnt: tailOf(mountFile), log: () => {} },
    });
    let notified = 0;
    expect(await source.watch(() => notified++)).toEqual({ devices: true, mounts: true });
    // A real stick is plugged in and described (recorded in the guest).
    appendFileSync(udevFile, monitorBlocks('stick-partitioned').slice(0, 6).join(''));
    await until(() => notified >= 6);
    const before = await source.list();
    expect(before.map((m) => [m.instance, m.pending ?? false, m.identity.volumes[0]?.label])).toEqual([['sda#2', false, 'E2ESTICK']]);

    reads.length = 0;
    mountReads = 0;
    const notifiedBefore = notified;
    const media = await source.warmUp();
    // The whole path ran: as the kernel announced the stick (decided while pending), once udev
    // described it, and mounted.
    expect(media.map((m) => [m.instance, m.pending ?? false, m.identity.key, m.identity.serialStatus, m.identity.volumes.map((v) => [v.label, v.volumeId, v.mountPoints])])).toEqual([
      ['sdwarm#999999', true, `usb:46f4:0001:${WARM_UP_SERIAL}`, 'unique', []],
      ['sdwarm#999999', false, `usb:46f4:0001:${WARM_UP_SERIAL}`, 'unique', [['WARM_UP', '0A0B0C0D', []]]],
      ['sdwarm#999999', false, `usb:46f4:0001:${WARM_UP_SERIAL}`, 'unique', [['WARM_UP', '0A0B0C0D', ['/media/mamori-warm-up/WARM_UP']]]],
    ]);
    // Nothing of the OS was read or run, and the watcher was not called (also not later, by a timer).
    await new Promise((r) => setTimeout(r, 200));
    expect(reads).toEqual([]);
    expect(mountReads).toBe(0);
    expect(commands).toEqual([]);
    expect(notified).toBe(notifiedBefore);
    // What the source lists is what it listed before; the made-up stick is not among it.
    expect(await source.list()).toEqual(before);
    // The live watchers still run and still report the real stick's events (its unplug).
    expect(source.live()).toEqual({ devices: true, mounts: true });
    appendFileSync(udevFile, monitorBlocks('stick-partitioned').slice(6).join(''));
    await until(() => notified >= notifiedBefore + 4);
    await source.unwatch();
  });

  it('a replay never reaches a watch that was started (its table stays the OS\'s)', async () => {
    const dir = tempDir();
    const file = join(dir, 'udev.txt');
    writeFileSync(file, MONITOR_BANNER);
    const changes: string[] = [];
    const live = new LinuxLiveWatch({ onChange: (c) => changes.push(c), log: () => {}, udevadm: tailOf(file), findmnt: tailOf(join(dir, 'mounts.txt')) });
    await live.start();
    expect(live.replay({ udev: WARM_UP_EVENTS.kernel })).toBe(false);
    expect(live.table.size()).toBe(0);
    expect(changes).toEqual([]);
    await live.stop();

    // A watch never started takes it (the warm-up's throwaway watch).
    const freshChanges: string[] = [];
    const fresh = new LinuxLiveWatch({ onChange: (c) => freshChanges.push(c), log: () => {} });
    expect(fresh.replay({ udev: WARM_UP_EVENTS.kernel })).toBe(true);
    expect(fresh.table.has('sdwarm')).toBe(true);
    expect(freshChanges).toEqual(['device-added', 'device-added']);
  });

  it('the service warms up at start in block mode without an event, a notice, a prompt, a command or a tracked medium', async () => {
    const commands: string[] = [];
    // lsblk as in the guest without media (recorded); anything else would be a side effect.
    const run: CommandRunner = async (file, args) => {
      commands.push([file, ...args].join(' '));
      if (file === 'lsblk') return { code: 0, stdout: Buffer.from(qemu('no-media/lsblk-json-mountpoints.json')), stderr: Buffer.alloc(0) };
      throw new Error(`unexpected command ${file}`);
    };
    const logs: Array<{ level: string; message: string; details: Record<string, unknown> }> = [];
    const log: AgentLog = {
      info: (message, details = {}) => void logs.push({ level: 'info', message, details }),
      warn: (message, details = {}) => void logs.push({ level: 'warn', message, details }),
      error: (message, details = {}) => void logs.push({ level: 'error', message, details }),
    };
    const recorded: string[] = [];
    const shown: string[] = [];
    const ctx: ServiceContext = {
      record: async (type) => {
        recorded.push(type);
        throw new Error('nothing may be recorded');
      },
      requestApproval: async () => {
        shown.push('request');
        throw new Error('nothing may be requested');
      },
      ui: { notify: (n) => void shown.push(n.title), prompt: async (p) => (shown.push(p.title), null), lang: () => 'ja' },
      log,
      osUser: () => 'tanaka',
      hostname: () => 'SOUMU-PC01',
      agentId: async () => '0c5b7f6e-2a8e-4b9b-9d3e-0f0e2f1f3a44',
    };
    const source = new LinuxMediaSource({ run, sysfs: recordedSysfs('stick-partitioned', []), readMountInfo: async () => '', udisks: false, udevRunning: false, live: { log: () => {} } });
    const service = new MediaService({ source, usbEvents: null, recheckMs: 3_600_000, watch: { pollMs: 3_600_000, listWithoutSignatureMs: 3_600_000 } });
    await service.applyPolicy({ ...DEFAULT_POLICY, version: 2, issuedAt: new Date().toISOString(), media: { mode: 'block', registered: [] } });
    await service.start(ctx);
    await service.settle();

    const watching = logs.find((l) => l.message === 'removable media: watching');
    expect(watching?.details.warmUpMs).toEqual(expect.any(Number));
    expect(await service.warmUp()).toEqual(expect.any(Number));
    expect(recorded).toEqual([]);
    expect(shown).toEqual([]);
    expect(service.snapshot()).toEqual([]);
    // Only the service's own listings ran lsblk; the warm-up started no process.
    expect(commands.every((c) => c.startsWith('lsblk '))).toBe(true);
    expect(logs.filter((l) => l.level !== 'info' || /medium/.test(l.message))).toEqual([]);
    await service.stop();
  });
});
