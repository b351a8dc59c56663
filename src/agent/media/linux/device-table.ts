import { ueventDeviceName, type Uevent } from './uevent.js';

/**
 * What udev has said about each block device, kept from its monitor's events (and from `udevadm
 * info` for devices that were there before the monitor started). Pure: events in, facts out.
 *
 * A device is `processed` once udev has finished its rules for this plug-in of it (a UDEV event,
 * or a database entry with USEC_INITIALIZED): from then on its ID_FS_* say whether it holds a
 * file system, so "no ID_FS_TYPE" means unformatted, not "not read yet". Until then only the
 * kernel's properties are known. Bounded: virtual devices are never kept, and at most
 * `maxDevices` are (a flood of made-up devices cannot grow memory).
 */

export interface UdevDevice {
  name: string;
  devpath: string;
  /** disk, partition (kernel DEVTYPE). */
  devtype: string | null;
  /** The kernel's disk sequence of this plug-in (5.15+), null before. */
  diskseq: string | null;
  properties: ReadonlyMap<string, string>;
  processed: boolean;
  /** Bumped on every change: a `udevadm info` answer older than an event is not applied over it. */
  version: number;
  /** Bumped only by the kernel's events (the device appeared, changed size or medium): sysfs facts read before are stale. */
  kernelVersion: number;
}

// Loop, RAM, zram, NBD, optical, floppy and MD devices are never removable storage the agent acts
// on (the same list as the cheap signature's); device-mapper devices are kept, as the mappings
// (LUKS, LVM) on top of a medium's partitions.
const VIRTUAL = /^(loop|ram|zram|nbd|sr|fd|md)\d/;

export interface TableChange {
  /** The event concerns a device the media lister may care about (not a virtual one). */
  relevant: boolean;
  /** A device appeared (the kernel's add): the moment a medium can be decided. */
  added: string | null;
}

export class UdevDeviceTable {
  private readonly devices = new Map<string, UdevDevice>();
  private counter = 0;
  /** Events not kept because the table was full. */
  refused = 0;

  constructor(private readonly maxDevices = 1024) {}

  get(name: string): UdevDevice | undefined {
    return this.devices.get(name);
  }

  has(name: string): boolean {
    return this.devices.has(name);
  }

  size(): number {
    return this.devices.size;
  }

  clear(): void {
    this.devices.clear();
  }

  /** The devices (partitions) udev's events placed under `devpath`. */
  childrenOf(devpath: string): UdevDevice[] {
    const prefix = `${devpath}/`;
    return [...this.devices.values()].filter((d) => d.devpath.startsWith(prefix) && !d.devpath.slice(prefix.length).includes('/'));
  }

  /** Applies one monitor event. */
  apply(event: Uevent): TableChange {
    const none: TableChange = { relevant: false, added: null };
    if (event.subsystem !== 'block') return none;
    const name = ueventDeviceName(event);
    if (name === null || VIRTUAL.test(name)) return none;
    const existing = this.devices.get(name);
    const diskseq = event.properties.get('DISKSEQ') ?? null;
    if (event.action === 'remove') {
      // A late UDEV remove of an earlier plug-in must not drop the new one.
      if (existing && !(diskseq && existing.diskseq && diskseq !== existing.diskseq)) this.devices.delete(name);
      return { relevant: true, added: null };
    }
    const props = event.properties;
    if (event.source === 'KERNEL') {
      if (event.action === 'add' || !existing || (diskseq && existing.diskseq && diskseq !== existing.diskseq)) {
        this.set({ name, devpath: event.devpath, devtype: props.get('DEVTYPE') ?? null, diskseq, properties: props, processed: false, version: 0, kernelVersion: ++this.counter });
        return { relevant: true, added: event.action === 'add' ? name : null };
      }
      // change/bind/online of a known device: udev will send its own version of this event; what
      // sysfs said of it (size, medium) may have changed.
      this.set({ ...existing, kernelVersion: ++this.counter });
      return { relevant: true, added: null };
    }
    // UDEV: the rules ran. An event for an older plug-in (its disk sequence is behind ours) is stale.
    if (existing && diskseq && existing.diskseq && Number(diskseq) < Number(existing.diskseq)) return { relevant: false, added: null };
    this.set({
      name, devpath: event.devpath, devtype: props.get('DEVTYPE') ?? existing?.devtype ?? null, diskseq: diskseq ?? existing?.diskseq ?? null, properties: props, processed: true, version: 0,
      kernelVersion: existing?.kernelVersion ?? ++this.counter,
    });
    return { relevant: true, added: existing ? null : name };
  }

  /**
   * Changes whenever what sysfs says about a disk may have changed: a kernel event for it or one
   * of its partitions, a partition come or gone, udev finishing with it. Equal stamps mean facts
   * read from sysfs earlier still hold.
   */
  stamp(name: string): string | null {
    const disk = this.devices.get(name);
    if (!disk) return null;
    const children = this.childrenOf(disk.devpath).map((c) => `${c.name}:${c.kernelVersion}`).sort();
    return `${disk.kernelVersion}:${disk.processed ? 1 : 0}:${children.join(',')}`;
  }

  /** The version a `udevadm info` answer must still match when it comes back (see seed). */
  versionOf(name: string): number {
    return this.devices.get(name)?.version ?? 0;
  }

  /**
   * Facts from `udevadm info --query=property` for a device the monitor has not described (it was
   * there before the monitor started); ignored when an event changed the device meanwhile.
   */
  seed(name: string, properties: ReadonlyMap<string, string>, versionAtRequest: number): void {
    if (VIRTUAL.test(name) || this.versionOf(name) !== versionAtRequest) return;
    const devpath = properties.get('DEVPATH');
    if (!devpath) return;
    this.set({
      name,
      devpath,
      devtype: properties.get('DEVTYPE') ?? null,
      diskseq: properties.get('DISKSEQ') ?? null,
      properties,
      processed: properties.has('USEC_INITIALIZED'),
      version: 0,
      kernelVersion: ++this.counter,
    });
  }

  private set(device: UdevDevice): void {
    if (!this.devices.has(device.name) && this.devices.size >= this.maxDevices) {
      this.refused++;
      return;
    }
    this.devices.set(device.name, { ...device, version: ++this.counter });
  }
}
