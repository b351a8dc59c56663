import { describe, expect, it } from 'vitest';
import { silentLog } from '../../src/agent/log.js';
import type { Medium, MediaSource } from '../../src/agent/media/types.js';
import type { UsbDeviceEvent, UsbEvents } from '../../src/agent/media/usb-events.js';
import { loadUsbEvents } from '../../src/agent/media/usb-events.js';
import { MediaWatcher, type MediaChanges } from '../../src/agent/media/watch.js';
import { identify } from '../../src/shared/media/identity.js';

function medium(instance: string, serial: string, mounts: string[] = []): Medium {
  return {
    identity: identify({
      bus: 'usb', kind: 'usb-stick', vendorId: '0781', productId: '5567', serial, vendor: 'SanDisk', product: 'Cruzer Blade', capacityBytes: 1000,
      volumes: [{ device: `/dev/${instance.split('#')[0]}1`, label: 'L', fileSystem: 'vfat', volumeId: '1234ABCD', mountPoints: mounts, sizeBytes: 1000, readOnly: mounts.length ? false : null }],
    }),
    instance,
    handle: { disk: `/dev/${instance.split('#')[0]}`, deviceInstanceId: null },
  };
}

/** A source whose media and signature the test sets; it counts listings and can fail on demand. */
class FakeSource implements MediaSource {
  readonly name = 'fake';
  media: Medium[] = [];
  signatureValue: string | null = 'a';
  lists = 0;
  failNext = false;
  async signature() {
    return this.signatureValue;
  }
  async list() {
    this.lists++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('lsblk: timed out');
    }
    return this.media;
  }
  async eject() {
    return [];
  }
  async unmount() {
    return [];
  }
  async remountReadOnly() {
    return [];
  }
}

const fast = { pollMs: 10, hotPollMs: 5, hotMs: 200, debounceMs: 5, fullRefreshMs: 60_000, listWithoutSignatureMs: 20, livePollMs: 60_000, liveDebounceMs: 1 };
const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A started watcher over `source` with a stand-in for usb-detection: `usb` fires one of its events. */
async function watchedWithUsb(source: MediaSource, timing: Partial<typeof fast> = {}): Promise<{ watcher: MediaWatcher; batches: MediaChanges[]; usb: (kind: 'add' | 'remove', device: UsbDeviceEvent) => void }> {
  let listener: ((kind: 'add' | 'remove', d: UsbDeviceEvent) => void) | null = null;
  const usbEvents: UsbEvents = { start: (l) => void (listener = l), stop: () => {} };
  const batches: MediaChanges[] = [];
  const watcher = new MediaWatcher(source, async (c) => void batches.push(c), { ...fast, ...timing, usbEvents, log: silentLog });
  await watcher.start();
  return { watcher, batches, usb: (kind, device) => listener!(kind, device) };
}

describe('MediaWatcher', () => {
  it('reports media already present as initial, then arrivals, mount changes and removals', async () => {
    const source = new FakeSource();
    source.media = [medium('sdb#1', 'AAAA1111')];
    const batches: MediaChanges[] = [];
    const watcher = new MediaWatcher(source, async (c) => void batches.push(c), { ...fast, usbEvents: null, log: silentLog });
    await watcher.start();
    expect(batches[0]).toMatchObject({ initial: true, arrived: [{ instance: 'sdb#1' }] });

    source.media = [medium('sdb#1', 'AAAA1111', ['/media/u/L']), medium('sdc#2', 'BBBB2222')];
    source.signatureValue = 'b';
    await until(() => batches.length >= 2);
    expect(batches[1]!.initial).toBe(false);
    expect(batches[1]!.arrived.map((m) => m.instance)).toEqual(['sdc#2']);
    expect(batches[1]!.changed.map((c) => [c.before.identity.volumes[0]!.mountPoints, c.after.identity.volumes[0]!.mountPoints])).toEqual([[[], ['/media/u/L']]]);

    source.media = [];
    source.signatureValue = 'c';
    await until(() => batches.length >= 3);
    expect(batches[2]!.removed.map((m) => m.instance).sort()).toEqual(['sdb#1', 'sdc#2']);
    expect(watcher.current()).toEqual([]);
    await watcher.stop();
  });

  it('a failed listing keeps what was known: it never looks like every medium removed', async () => {
    const source = new FakeSource();
    source.media = [medium('sdb#1', 'AAAA1111')];
    const batches: MediaChanges[] = [];
    const watcher = new MediaWatcher(source, async (c) => void batches.push(c), { ...fast, usbEvents: null, log: silentLog });
    await watcher.start();
    source.failNext = true;
    await watcher.refreshNow();
    expect(batches).toHaveLength(1);
    expect(watcher.current().map((m) => m.instance)).toEqual(['sdb#1']);
    await watcher.stop();
  });

  it('a burst of triggers (one plug, a flood of USB events) becomes few listings, never a queue', async () => {
    const source = new FakeSource();
    const { watcher, usb } = await watchedWithUsb(source, { debounceMs: 30, pollMs: 10_000, hotPollMs: 10_000 });
    const before = source.lists;
    for (let i = 0; i < 5000; i++) usb('add', { vendorId: 0x46f4, productId: 1, serialNumber: `S${i}`, deviceName: 'QEMU_USB_HARDDRIVE' });
    await until(() => source.lists - before >= 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(source.lists - before).toBeLessThanOrEqual(3);
    await watcher.stop();
  });

  it('a fast re-plug of one medium (same device name, no disk sequence) is a removal and an arrival when USB said remove', async () => {
    const source = new FakeSource();
    source.media = [medium('sdb#-', 'AAAA1111', ['/media/u/L'])];
    const { watcher, batches, usb } = await watchedWithUsb(source);
    usb('remove', { vendorId: 0x0781, productId: 0x5567, serialNumber: 'aaaa1111', deviceName: 'Cruzer Blade' });
    usb('add', { vendorId: 0x0781, productId: 0x5567, serialNumber: 'aaaa1111', deviceName: 'Cruzer Blade' });
    await until(() => batches.length >= 2);
    expect(batches[1]!.removed.map((m) => m.instance)).toEqual(['sdb#-']);
    expect(batches[1]!.arrived.map((m) => m.instance)).toEqual(['sdb#-']);
    await watcher.stop();
  });

  it('a USB removal that comes late does not split the next plug-in of the same serial where instances number plug-ins (Linux diskseq)', async () => {
    // Seen on a real kernel with usb-detection loaded: the removal of sdb#4 reached the agent after
    // the listings that showed it gone and sdc#5 (same serial) arrived, and sdc#5 was then
    // reported removed and inserted again.
    const source = new FakeSource();
    const plug = (instance: string, mounts: string[] = []) => ({ ...medium(instance, 'MAMORI-REG-0001', mounts), instancePerPlug: true });
    source.media = [plug('sdb#4')];
    const { watcher, batches, usb } = await watchedWithUsb(source);
    source.media = [];
    await watcher.refreshNow();
    source.media = [plug('sdc#5')];
    await watcher.refreshNow();
    usb('remove', { vendorId: 0x46f4, productId: 1, serialNumber: 'MAMORI-REG-0001', deviceName: 'QEMU_USB_HARDDRIVE' });
    source.media = [plug('sdc#5', ['/media/u/L'])];
    await watcher.refreshNow();
    const all = batches.slice(1);
    expect(all.flatMap((b) => b.arrived.map((m) => m.instance))).toEqual(['sdc#5']);
    expect(all.flatMap((b) => b.removed.map((m) => m.instance))).toEqual(['sdb#4']);
    expect(all.at(-1)!.changed.map((c) => c.after.instance)).toEqual(['sdc#5']);
    await watcher.stop();
  });

  it('unplugging one of two sticks that share a serial removes that one only: the other is not taken for a re-plug', async () => {
    const source = new FakeSource();
    // Windows-like instances (device instance ids): they do not number plug-ins.
    source.media = [medium('disk1#USB\\VID_0781&PID_5567\\6&1A2B&0&1', 'SHARED0001'), medium('disk2#USB\\VID_0781&PID_5567\\6&1A2B&0&2', 'SHARED0001')];
    const { watcher, batches, usb } = await watchedWithUsb(source);
    usb('remove', { vendorId: 0x0781, productId: 0x5567, serialNumber: 'shared0001', deviceName: 'Cruzer Blade' });
    source.media = [source.media[1]!];
    await watcher.refreshNow();
    const after = batches.slice(1);
    expect(after.flatMap((b) => b.removed.map((m) => m.instance))).toEqual(['disk1#USB\\VID_0781&PID_5567\\6&1A2B&0&1']);
    expect(after.flatMap((b) => b.arrived)).toEqual([]);
    await watcher.stop();
  });

  it('a USB removal that comes after the listing that showed it is explained by that listing, also where instances repeat', async () => {
    const source = new FakeSource();
    source.media = [medium('disk2#AAAA1111', 'AAAA1111')];
    const { watcher, batches, usb } = await watchedWithUsb(source);
    source.media = [];
    await watcher.refreshNow();
    source.media = [medium('disk2#AAAA1111', 'AAAA1111')];
    await watcher.refreshNow();
    usb('remove', { vendorId: 0x0781, productId: 0x5567, serialNumber: 'AAAA1111', deviceName: 'Cruzer Blade' });
    source.media = [medium('disk2#AAAA1111', 'AAAA1111', ['/Volumes/L'])];
    await watcher.refreshNow();
    const after = batches.slice(1);
    expect(after.flatMap((b) => b.removed.map((m) => m.instance))).toEqual(['disk2#AAAA1111']);
    expect(after.flatMap((b) => b.arrived.map((m) => m.instance))).toEqual(['disk2#AAAA1111']);
    expect(after.at(-1)!.changed.map((c) => c.after.instance)).toEqual(['disk2#AAAA1111']);
    await watcher.stop();
  });

  it('starts the native USB watcher only while the source\'s own notifications do not cover devices', async () => {
    const source = new FakeSource();
    let devices = true;
    const live = Object.assign(source, { watch: async () => ({ devices, mounts: true }), live: () => ({ devices, mounts: true }), unwatch: async () => {} });
    let starts = 0;
    let stops = 0;
    const usb: UsbEvents = { start: () => void starts++, stop: () => void stops++ };
    const watcher = new MediaWatcher(live, async () => {}, { ...fast, livePollMs: 5, usbEvents: usb, log: silentLog });
    await watcher.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(starts).toBe(0);
    expect(watcher.usbEventsStarted()).toBe(false);
    // udevadm monitor died and the source polls now: USB events help again.
    devices = false;
    await until(() => starts === 1);
    expect(watcher.usbEventsStarted()).toBe(true);
    await watcher.stop();
    expect(stops).toBe(1);
  });

  it('does not start the native USB watcher where USB events cannot reach the agent (Linux without a udev daemon)', async () => {
    const source = Object.assign(new FakeSource(), { usbEventsReach: () => false });
    let starts = 0;
    const usb: UsbEvents = { start: () => void starts++, stop: () => {} };
    const watcher = new MediaWatcher(source, async () => {}, { ...fast, usbEvents: usb, log: silentLog });
    await watcher.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(starts).toBe(0);
    expect(watcher.usbEventsStarted()).toBe(false);
    await watcher.stop();
  });

  it('while the source is still describing a medium, it is listed again without any signature change', async () => {
    const source = new FakeSource();
    let settling = true;
    const withSettling = Object.assign(source, { settling: () => settling });
    const batches: MediaChanges[] = [];
    const watcher = new MediaWatcher(withSettling, async (c) => void batches.push(c), { ...fast, pollMs: 60_000, hotPollMs: 60_000, usbEvents: null, log: silentLog });
    await watcher.start();
    source.media = [medium('sda#3', 'AAAA1111')];
    await until(() => batches.length >= 2);
    expect(batches[1]!.arrived.map((m) => m.instance)).toEqual(['sda#3']);
    settling = false;
    const lists = source.lists;
    await new Promise((r) => setTimeout(r, 400));
    expect(source.lists - lists).toBeLessThanOrEqual(1);
    await watcher.stop();
  });

  it('with the source\'s own notifications: lists when notified, polls only as a slow safety net, and polls fast again when they stop', async () => {
    const source = new FakeSource();
    let notify: (() => void) | null = null;
    let live = { devices: true, mounts: true };
    const liveSource = Object.assign(source, {
      watch: async (changed: () => void) => {
        notify = changed;
        return live;
      },
      live: () => live,
      unwatched: false,
      unwatch: async () => void (liveSource.unwatched = true),
    });
    const batches: MediaChanges[] = [];
    const watcher = new MediaWatcher(liveSource, async (c) => void batches.push(c), { ...fast, usbEvents: null, log: silentLog });
    await watcher.start();
    expect(watcher.live()).toBe(true);
    expect(watcher.startedLive()).toBe(true);
    // After the first poll, a signature change alone waits for the slow safety poll (60 s here): no listing.
    await new Promise((r) => setTimeout(r, 30));
    source.media = [medium('sdb#1', 'AAAA1111')];
    source.signatureValue = 'b';
    await new Promise((r) => setTimeout(r, 80));
    expect(batches).toHaveLength(1);
    // A notification lists at once.
    notify!();
    await until(() => batches.length >= 2);
    expect(batches[1]!.arrived.map((m) => m.instance)).toEqual(['sdb#1']);
    // The notifiers died: the signature poll takes over again (10 ms here).
    live = { devices: false, mounts: true };
    notify!();
    source.media = [];
    source.signatureValue = 'c';
    await until(() => batches.length >= 3);
    expect(batches[2]!.removed.map((m) => m.instance)).toEqual(['sdb#1']);
    await watcher.stop();
    expect(liveSource.unwatched).toBe(true);
  });

  it('a pending medium that becomes complete is reported as changed even when nothing else differs', async () => {
    const source = new FakeSource();
    source.media = [{ ...medium('sdb#1', 'AAAA1111'), pending: true }];
    const batches: MediaChanges[] = [];
    const watcher = new MediaWatcher(source, async (c) => void batches.push(c), { ...fast, usbEvents: null, log: silentLog });
    await watcher.start();
    source.media = [medium('sdb#1', 'AAAA1111')];
    await watcher.refreshNow();
    expect(batches[1]!.changed.map((c) => [c.before.pending, c.after.pending])).toEqual([[true, undefined]]);
    await watcher.stop();
  });

  it('without a cheap signature the source is listed on a slower timer', async () => {
    const source = new FakeSource();
    source.signatureValue = null;
    const watcher = new MediaWatcher(source, async () => {}, { ...fast, usbEvents: null, log: silentLog });
    await watcher.start();
    await until(() => source.lists >= 3);
    await watcher.stop();
    const after = source.lists;
    await new Promise((r) => setTimeout(r, 60));
    expect(source.lists).toBe(after);
  });

  it('a handler that throws is logged, and watching goes on', async () => {
    const source = new FakeSource();
    const errors: string[] = [];
    const log = { ...silentLog, error: (m: string) => void errors.push(m) };
    let calls = 0;
    const watcher = new MediaWatcher(source, async () => {
      calls++;
      throw new Error('boom');
    }, { ...fast, usbEvents: null, log });
    await watcher.start();
    source.media = [medium('sdb#1', 'AAAA1111')];
    await watcher.refreshNow();
    expect(calls).toBe(2);
    expect(errors).toEqual(['handling a removable-media change failed', 'handling a removable-media change failed']);
    await watcher.stop();
  });
});

describe('the native USB watcher', () => {
  it('says why when usb-detection cannot be loaded, instead of throwing', () => {
    const missing = loadUsbEvents(() => {
      throw new Error("Cannot find module 'usb-detection'\nRequire stack: …");
    });
    expect(missing).toEqual({ ok: false, reason: "Cannot find module 'usb-detection'" });
    expect(loadUsbEvents(() => ({ find: () => [] }))).toMatchObject({ ok: false, reason: 'usb-detection loaded but is not the expected module' });
  });

  it('wraps the module: add and remove events with cleaned fields; stop stops monitoring', () => {
    const handlers = new Map<string, (d: unknown) => void>();
    let monitoring = false;
    const fake = {
      startMonitoring: () => void (monitoring = true),
      stopMonitoring: () => void (monitoring = false),
      on: (e: string, cb: (d: unknown) => void) => void handlers.set(e, cb),
      removeAllListeners: (e: string) => void handlers.delete(e),
    };
    const loaded = loadUsbEvents(() => fake);
    if (!loaded.ok) throw new Error(loaded.reason);
    const seen: Array<[string, UsbDeviceEvent]> = [];
    loaded.events.start((kind, d) => void seen.push([kind, d]));
    expect(monitoring).toBe(true);
    handlers.get('add')!({ vendorId: 18164, productId: 1, deviceName: 'QEMU_USB_HARDDRIVE', manufacturer: 'QEMU', serialNumber: 'MAMORI-0001' });
    handlers.get('remove')!({ vendorId: 'x', serialNumber: 42 });
    expect(seen).toEqual([
      ['add', { vendorId: 18164, productId: 1, serialNumber: 'MAMORI-0001', deviceName: 'QEMU_USB_HARDDRIVE' }],
      ['remove', { vendorId: null, productId: null, serialNumber: null, deviceName: null }],
    ]);
    loaded.events.stop();
    expect(monitoring).toBe(false);
    expect(handlers.size).toBe(0);
  });
});
