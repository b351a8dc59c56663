import { canonicalJson } from '../../shared/canonical.js';
import type { AgentLog } from '../log.js';
import type { Medium, MediaSource } from './types.js';
import type { UsbDeviceEvent, UsbEvents } from './usb-events.js';

/** What changed between two listings of the media present. */
export interface MediaChanges {
  arrived: Medium[];
  removed: Medium[];
  /** Same plug-in, new facts (a volume mounted or unmounted, a label that udev filled in late). */
  changed: Array<{ before: Medium; after: Medium }>;
  /** The first listing, of media already there when watching started. */
  initial: boolean;
}

export interface WatchOptions {
  /** How often the cheap signature is read while nothing happens. */
  pollMs: number;
  /** How often after a USB event (the block device follows the USB device by up to a few seconds). */
  hotPollMs: number;
  /** How long polling stays fast after a USB event or a change. */
  hotMs: number;
  /** Triggers within this window become one listing (one plug produces a burst of events). */
  debounceMs: number;
  /** A full listing at least this often, whatever the signature says. */
  fullRefreshMs: number;
  /** Listing interval when the source has no cheap signature. */
  listWithoutSignatureMs: number;
  /**
   * While the source's own notifications run (Linux: udevadm monitor and findmnt --poll), the
   * signature is still read this often, as a safety net should a notifier stall without dying.
   */
  livePollMs: number;
  /** Notifications within this window become one listing (one plug gives a few block events at once). */
  liveDebounceMs: number;
  usbEvents: UsbEvents | null;
  log: AgentLog;
}

export const DEFAULT_WATCH: Omit<WatchOptions, 'usbEvents' | 'log'> = {
  pollMs: 250,
  hotPollMs: 50,
  hotMs: 15_000,
  debounceMs: 40,
  fullRefreshMs: 30_000,
  listWithoutSignatureMs: 3_000,
  livePollMs: 30_000,
  liveDebounceMs: 5,
};

/** How long a medium that left a listing explains a USB removal event of its serial (events can lag the listing). */
const VANISHED_EXPLAINS_MS = 10_000;

/** Pause between listings while a medium is still being described (udev reading its file systems). */
const SETTLE_RETRY_MS = 150;

// Pending is part of it: a medium whose description completes without any visible change (no
// volume at all) must still be reported as changed once it is complete.
const fingerprint = (m: Medium) => canonicalJson({ identity: m.identity, pending: m.pending === true });

/**
 * Watches the media present: the source's own notifications where it has them (then the poll of
 * its signature is only a slow safety net), else USB hot-plug events when the native watcher
 * loaded and a cheap poll of the OS's signature; a change leads to one debounced listing, and the
 * difference to the previous listing goes to the handler, one batch at a time. Memory is bounded
 * by what is plugged in: triggers collapse into one pending flag, never a queue.
 */
export class MediaWatcher {
  private known = new Map<string, Medium>();
  private timer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private running = false;
  private refreshing: Promise<void> | null = null;
  private dirty = false;
  private lastSignature: string | null = null;
  private lastFullAt = 0;
  private hotUntil = 0;
  private failures = 0;
  /** USB removal events since the last listing, per serial: one no listing explains is a fast re-plug. */
  private removedSerials = new Map<string, number>();
  /** Media that left a listing lately, per serial, with when: each explains one removal event, also a late one. */
  private vanished: Array<{ serial: string; at: number }> = [];
  private stale = new Set<string>();
  /** Until the first listing succeeds, what it finds was already there. */
  private initialPending = true;
  private liveAtStart = false;
  private usbStarted = false;

  constructor(
    private readonly source: MediaSource,
    private readonly handler: (changes: MediaChanges) => Promise<void>,
    private readonly options: WatchOptions,
  ) {}

  /** The media present at the last listing. */
  current(): Medium[] {
    return [...this.known.values()];
  }

  /**
   * Lists once (media already present go to the handler as `initial`) and starts watching. The
   * native USB watcher starts only where the source's own notifications do not cover devices and
   * USB events can reach us: on Linux udev's events say all it would (and more), and without
   * udevd it hears nothing, while usb-detection's thread wakes 10 times a second and holds one of
   * libuv's pool threads for good.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.source.watch) {
      try {
        const status = await this.source.watch(() => this.refreshSoon(this.options.liveDebounceMs));
        this.liveAtStart = status.devices && status.mounts;
      } catch (error) {
        this.options.log.warn('removable media: the source\'s own notifications could not start; polling instead', { source: this.source.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (!this.source.live?.()?.devices) this.startUsbEvents();
    await this.refresh();
    this.schedulePoll(0);
  }

  /** Whether the native USB watcher runs (it is loaded and the source's own notifications do not cover devices). */
  usbEventsStarted(): boolean {
    return this.usbStarted;
  }

  private startUsbEvents(): void {
    if (this.usbStarted || !this.options.usbEvents || !this.running || this.source.usbEventsReach?.() === false) return;
    this.usbStarted = true;
    this.options.usbEvents.start((kind, device) => this.onUsbEvent(kind, device));
  }

  /** True while the source's own notifications cover devices and mounts (then polling is only a safety net). */
  live(): boolean {
    const status = this.source.live?.();
    return status !== undefined && status.devices && status.mounts;
  }

  /** Whether the source's notifications were running when watching started (logs, the benchmark). */
  startedLive(): boolean {
    return this.liveAtStart;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.timer = this.pollTimer = this.settleTimer = null;
    if (this.usbStarted) this.options.usbEvents?.stop();
    this.usbStarted = false;
    await this.source.unwatch?.().catch(() => {});
    await this.refreshing?.catch(() => {});
  }

  /** Asks for a listing soon (debounced): after a USB event, a source notification, a policy change, or a test. */
  refreshSoon(debounceMs = this.options.debounceMs): void {
    if (!this.running) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runRefresh();
    }, debounceMs);
    this.timer.unref();
  }

  /**
   * Reports this plug-in as changed at the next listing even if it looks the same: the caller
   * acted on it (unmounted it) and must see its state again, also when it was mounted again
   * before any listing noticed the unmount.
   */
  markStale(instance: string): void {
    this.stale.add(instance);
    this.refreshSoon();
  }

  /** Lists now and waits for the handler (tests and the service's re-checks). */
  async refreshNow(): Promise<void> {
    this.dirty = true;
    await this.runRefresh();
  }

  /** Lists again after a short pause while the source says a medium is still being described. */
  private settleSoon(): void {
    if (this.settleTimer || !this.running) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.refreshSoon();
    }, SETTLE_RETRY_MS);
    this.settleTimer.unref();
  }

  private onUsbEvent(kind: 'add' | 'remove', device: UsbDeviceEvent): void {
    if (kind === 'remove' && device.serialNumber) {
      const serial = device.serialNumber.trim().replace(/\s+/g, '_').toUpperCase();
      this.removedSerials.set(serial, (this.removedSerials.get(serial) ?? 0) + 1);
    }
    if (this.removedSerials.size > 256) this.removedSerials.clear();
    // The source's own notifications say when the block device comes or goes.
    if (this.live()) return;
    this.hotUntil = Date.now() + this.options.hotMs;
    this.refreshSoon();
    // The poll loop may be sleeping for the idle interval: wake it to poll fast.
    this.schedulePoll(this.options.hotPollMs);
  }

  private schedulePoll(delay: number): void {
    if (!this.running) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delay);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    this.pollTimer = null;
    if (!this.running) return;
    const now = Date.now();
    const live = this.live();
    // The source's notifications stopped for good (it polls now): the native USB watcher helps again.
    if (!this.source.live?.()?.devices) this.startUsbEvents();
    const hot = !live && now < this.hotUntil;
    let signature: string | null = null;
    try {
      signature = await this.source.signature();
    } catch {
      signature = null;
    }
    if (signature === null) {
      if (now - this.lastFullAt >= this.options.listWithoutSignatureMs) this.refreshSoon();
    } else if (signature !== this.lastSignature || (!live && now - this.lastFullAt >= this.options.fullRefreshMs)) {
      // Live, a changed signature the notifications did not explain means one stalled: list anyway.
      if (signature !== this.lastSignature && this.lastSignature !== null && !live) this.hotUntil = now + this.options.hotMs;
      this.lastSignature = signature;
      this.refreshSoon();
    }
    const backoff = this.failures > 0 ? Math.min(30_000, 1000 * 2 ** Math.min(this.failures, 5)) : 0;
    this.schedulePoll(Math.max(backoff, live ? this.options.livePollMs : hot ? this.options.hotPollMs : this.options.pollMs));
  }

  private async runRefresh(): Promise<void> {
    if (this.refreshing) return; // the running refresh loops again while dirty
    this.refreshing = (async () => {
      while (this.dirty && this.running) {
        this.dirty = false;
        await this.refresh();
      }
    })();
    try {
      await this.refreshing;
    } finally {
      this.refreshing = null;
    }
  }

  /**
   * The serials with more USB removal events since the last listing than media of that serial that
   * left a listing lately. Each medium that left explains one removal, so unplugging one of two
   * sticks sharing a serial (cheap sticks do) does not make the other look re-plugged, and a
   * removal event that comes after the listing that showed it is still explained.
   */
  private unexplainedRemovals(next: ReadonlyMap<string, Medium>): Set<string> {
    const now = Date.now();
    for (const [instance, before] of this.known) {
      if (!next.has(instance) && before.identity.serial !== null) this.vanished.push({ serial: before.identity.serial, at: now });
    }
    this.vanished = this.vanished.filter((v) => now - v.at <= VANISHED_EXPLAINS_MS).slice(-256);
    const unexplained = new Set<string>();
    for (const [serial, count] of this.removedSerials) {
      let left = count;
      this.vanished = this.vanished.filter((v) => (left > 0 && v.serial === serial ? (left--, false) : true));
      if (left > 0) unexplained.add(serial);
    }
    this.removedSerials = new Map();
    return unexplained;
  }

  private async refresh(): Promise<void> {
    let listed: Medium[];
    // The signature is read before listing, so a change that happens during or after the listing
    // shows at the next poll (a baseline taken later could hide it). With the source's own
    // notifications it is not read here: a new medium is then listed without the extra reads,
    // and the next safety poll lists once more if the signature moved.
    const signature = this.live() ? null : await this.source.signature().catch(() => null);
    try {
      listed = await this.source.list();
      this.failures = 0;
    } catch (error) {
      // Keep what we know: a failed listing must not look like every medium being removed.
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.options.log.warn('removable media could not be listed', { source: this.source.name, failures: this.failures, error: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    this.lastFullAt = Date.now();
    if (signature !== null) this.lastSignature = signature;
    if (this.source.settling?.()) this.settleSoon();
    const initial = this.initialPending;
    this.initialPending = false;
    const next = new Map<string, Medium>();
    for (const m of listed) if (!next.has(m.instance)) next.set(m.instance, m);
    const changes: MediaChanges = { arrived: [], removed: [], changed: [], initial };
    const replugs = this.unexplainedRemovals(next);
    const stale = this.stale;
    this.stale = new Set();
    for (const [instance, before] of this.known) {
      const after = next.get(instance);
      // A USB removal of its serial that no medium leaving explains: the same instance listed again is a fast
      // re-plug (where instances do not number plug-ins; where they do, a late event must not split a new plug-in).
      const replugged = after !== undefined && !after.instancePerPlug && before.identity.serial !== null && replugs.has(before.identity.serial);
      if (!after || replugged) {
        changes.removed.push(before);
        if (after) changes.arrived.push(after);
      } else if (stale.has(instance) || (before !== after && fingerprint(before) !== fingerprint(after))) {
        changes.changed.push({ before, after });
      }
    }
    for (const [instance, after] of next) if (!this.known.has(instance)) changes.arrived.push(after);
    this.known = next;
    if (initial || changes.arrived.length || changes.removed.length || changes.changed.length) {
      try {
        await this.handler(changes);
      } catch (error) {
        this.options.log.error('handling a removable-media change failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
