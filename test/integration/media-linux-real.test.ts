import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandRunner } from '../../src/agent/collectors/exec.js';
import { silentLog } from '../../src/agent/log.js';
import { LinuxMediaSource } from '../../src/agent/media/linux/source.js';
import { parseMountInfo } from '../../src/agent/media/linux/mountinfo.js';
import { blockSignature, usbIdentityFromSysfs } from '../../src/agent/media/linux/sysfs.js';
import { MediaService } from '../../src/agent/media/service.js';
import { loadUsbEvents } from '../../src/agent/media/usb-events.js';
import type { ServiceContext } from '../../src/agent/services.js';
import { AgentEvent } from '../../src/shared/events.js';
import { MediaBlockedPayload, MediaFileWrittenPayload, MediaInsertedPayload } from '../../src/shared/media/events.js';
import { entryFromRegistration } from '../../src/shared/media/ledger.js';
import { DEFAULT_POLICY, type PolicyDocument } from '../../src/shared/policy.js';

// Removable-media control against this machine's real lsblk, sysfs, mount table, umount and mount.
// The VM has no USB bus (the QEMU end-to-end harness plugs real USB sticks), so a loop device with
// an ext4 file system plays the stick: lsblk's answer is relayed with that one device shown as USB;
// everything else (mounting, unmounting, remounting read-only, watching, hashing) is real.

const isRoot = process.getuid?.() === 0;
const can = (file: string, args: string[]) => {
  try {
    execFileSync(file, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform !== 'linux')('this machine as it is (no USB bus)', () => {
  it('lsblk, sysfs and the mount table are read; no removable medium is found', async () => {
    const source = new LinuxMediaSource();
    const devices = await source.blockDevices();
    expect(devices.some((d) => d.type === 'disk')).toBe(true);
    expect(await source.list()).toEqual([]);
    const disk = devices.find((d) => d.type === 'disk' && !/^(zram|ram|loop)\d/.test(d.name))!;
    expect(await usbIdentityFromSysfs(disk.name)).toBeNull();
    const signature = await blockSignature();
    expect(signature).toContain(`${disk.name}:`);
    expect(await blockSignature()).toBe(signature);
    expect(parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).some((m) => m.mountPoint === '/')).toBe(true);
  });

  it('usb-detection (optional native watcher) loads here, starts and stops without keeping the process alive', () => {
    const loaded = loadUsbEvents();
    // CI installs libudev-dev before npm ci (.ci/run), so there the native build must be there.
    if (process.env.CI) expect(loaded.ok, loaded.ok ? '' : loaded.reason).toBe(true);
    if (!loaded.ok) {
      // A machine without the native build: the agent polls instead and says why.
      expect(loaded.reason).toMatch(/usb-detection|Cannot find|libudev|detection\.node/);
      return;
    }
    loaded.events.start(() => {});
    loaded.events.stop();
  });
});

const loopUsable = process.platform === 'linux' && isRoot && can('losetup', ['-f']) && can('mkfs.ext4', ['-V']);

describe.skipIf(!loopUsable)('a loop device playing a USB stick, enforced for real', () => {
  let dir = '';
  let image = '';
  let loop = '';
  let mountPoint = '';
  const SERIAL = 'MAMORI-LOOP-0001';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mamori-loop-'));
    image = join(dir, 'stick.img');
    mountPoint = join(dir, 'media', '広報課 USB');
    mkdirSync(mountPoint, { recursive: true });
    execFileSync('truncate', ['-s', '32M', image]);
    execFileSync('mkfs.ext4', ['-q', '-L', 'KOUHOU', image]);
    loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
  });

  afterAll(() => {
    if (mountPoint && existsSync(mountPoint)) for (let i = 0; i < 3; i++) if (!can('umount', [mountPoint])) break;
    if (loop) can('losetup', ['-d', loop]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const mounted = () => parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.source === loop);
  const mount = (options = 'rw') => execFileSync('mount', ['-o', options, loop, mountPoint]);

  /** Real commands; lsblk's JSON shows the loop device as a USB stick with a serial. */
  const relay: CommandRunner = async (file, args, options) => {
    const result = await runCommand(file, args, options);
    if (file !== 'lsblk' || result.code !== 0 || args[0] !== '-J') return result;
    const doc = JSON.parse(result.stdout.toString('utf8')) as { blockdevices: Array<Record<string, unknown>> };
    for (const d of doc.blockdevices) {
      if (d.name === loop.replace('/dev/', '')) Object.assign(d, { type: 'disk', tran: 'usb', rm: true, hotplug: true, serial: SERIAL, vendor: 'Mamori', model: 'Loop Stick', fstype: 'ext4', label: 'KOUHOU' });
    }
    return { ...result, stdout: Buffer.from(JSON.stringify(doc)) };
  };

  it('block mode: unmounted for real, held so that mounting it again is refused by the kernel, usable after approval, read-only for real', async () => {
    mount();
    const events: AgentEvent[] = [];
    const ctx: ServiceContext = {
      record: async (type, payload) => {
        const event = AgentEvent.parse({ id: randomUUID(), type, occurredAt: new Date().toISOString(), osUser: 'root', payload });
        events.push(event);
        return event;
      },
      requestApproval: async () => ({ status: 'queued', failure: { kind: 'network', reason: 'connection', code: null, message: 'offline' } }),
      ui: { notify: () => {}, prompt: async () => null, lang: () => 'ja' },
      log: silentLog,
      osUser: () => 'root',
      hostname: () => 'mamori-test',
      agentId: async () => null,
    };
    const of = (type: string) => events.filter((e) => e.type === type);
    const until = async (check: () => boolean, what: string, ms = 15_000) => {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const service = new MediaService({
      source: new LinuxMediaSource({ run: relay, udisks: false }),
      usbEvents: null,
      settleMs: 100,
      // Loop devices are left out of the cheap signature (they are never USB media); a frequent
      // full listing stands in for it so that detaching the loop device is seen quickly.
      watch: { pollMs: 50, hotPollMs: 25, debounceMs: 10, fullRefreshMs: 500 },
    });
    const policy = (version: number, mode: 'block' | 'audit', registered: PolicyDocument['media']['registered'] = []): PolicyDocument => ({
      ...DEFAULT_POLICY, version, issuedAt: new Date().toISOString(), media: { mode, registered },
    });
    await service.applyPolicy(policy(2, 'block'));
    const started = Date.now();
    await service.start(ctx);
    try {
      // 1. Present at start, unregistered, block mode: unmounted by the real umount.
      await until(() => of('media.blocked').length === 1, 'the first block');
      const inserted = MediaInsertedPayload.parse(of('media.inserted')[0]!.payload);
      expect(inserted).toMatchObject({ seen: 'present', decision: { verdict: 'denied', reason: 'unregistered', action: 'block' } });
      expect(inserted.medium).toMatchObject({ key: `usb:-:-:${SERIAL}`, serialStatus: 'unique', product: 'Loop Stick', volumes: [{ device: loop, mountPoints: [mountPoint], fileSystem: 'ext4' }] });
      const blocked = MediaBlockedPayload.parse(of('media.blocked')[0]!.payload);
      expect(blocked).toMatchObject({ cause: 'arrival', enforced: true, steps: [{ step: 'unmount', target: mountPoint, ok: true }, { step: 'hold', target: loop, ok: true }] });
      expect(mounted()).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5000);

      // 2. Mounted again: the kernel refuses while the agent holds the device (O_EXCL).
      expect(() => execFileSync('mount', ['-o', 'rw', loop, mountPoint], { stdio: 'pipe' })).toThrow(/busy/i);
      expect(mounted()).toEqual([]);

      // 3. Approved (the ledger now has it): told, and usable once mounted; writes are recorded.
      const entry = entryFromRegistration([], { number: 'USB-0099', key: `usb:-:-:${SERIAL}`, allowedUsers: ['root'] }, new Date().toISOString());
      await service.applyPolicy(policy(3, 'block', [entry]));
      expect(of('media.approved')[0]!.payload).toMatchObject({ ledgerNumber: 'USB-0099', previousReason: 'unregistered' });
      mount();
      await until(() => service.snapshot()[0]?.recording.length === 1, 'the take-out record to start');
      const content = Buffer.from('持ち出し記録のテスト\n'.repeat(50));
      writeFileSync(join(mountPoint, '報告書.txt'), content);
      await until(() => of('media.file_written').length === 1, 'the file write');
      expect(MediaFileWrittenPayload.parse(of('media.file_written')[0]!.payload)).toMatchObject({
        ledgerNumber: 'USB-0099', path: '報告書.txt', sizeBytes: content.length, sha256: createHash('sha256').update(content).digest('hex'),
        volume: { label: 'KOUHOU', mountPoint },
      });
      expect(mounted()).toHaveLength(1);
      expect(of('media.blocked')).toHaveLength(1);

      // 4. The registration becomes read-only: remounted read-only by the real mount.
      await service.applyPolicy(policy(4, 'block', [{ ...entry, access: 'read-only' }]));
      await until(() => mounted()[0]?.options.includes('ro') === true, 'the read-only remount');
      expect(() => writeFileSync(join(mountPoint, 'refused.txt'), 'x')).toThrow(/EROFS|read-only/);

      // 5. Pulled out (unmounted and detached): removal recorded.
      execFileSync('umount', [mountPoint]);
      execFileSync('losetup', ['-d', loop]);
      loop = '';
      await until(() => of('media.removed').length === 1, 'the removal');
      expect(of('media.removed')[0]!.payload).toMatchObject({ key: `usb:-:-:${SERIAL}`, ledgerNumber: 'USB-0099' });
    } finally {
      await service.stop();
    }
  });
});
