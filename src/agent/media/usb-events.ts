import { createRequire } from 'node:module';

/**
 * The native USB hot-plug watcher (usb-detection, an optional dependency: it needs libudev to
 * build on Linux and an Electron rebuild for the tray app). When it cannot be loaded the media
 * watcher polls instead and says so once; nothing else changes.
 */

export interface UsbDeviceEvent {
  vendorId: number | null;
  productId: number | null;
  serialNumber: string | null;
  deviceName: string | null;
}

export interface UsbEvents {
  /** Starts monitoring; `listener` gets every add and remove (any USB device, not only storage). */
  start(listener: (kind: 'add' | 'remove', device: UsbDeviceEvent) => void): void;
  /** Stops monitoring; without it the native module keeps the process alive. */
  stop(): void;
}

interface UsbDetectionModule {
  startMonitoring(): void;
  stopMonitoring(): void;
  on(event: string, callback: (device: unknown) => void): void;
  removeAllListeners?(event?: string): void;
}

function toEvent(raw: unknown): UsbDeviceEvent {
  const d = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 256) : null);
  return { vendorId: num(d.vendorId), productId: num(d.productId), serialNumber: str(d.serialNumber), deviceName: str(d.deviceName) };
}

/** Loads usb-detection; on failure returns why (missing package, no native build, no libudev). */
export function loadUsbEvents(load: () => unknown = () => createRequire(import.meta.url)('usb-detection')): { ok: true; events: UsbEvents } | { ok: false; reason: string } {
  let mod: UsbDetectionModule;
  try {
    const loaded = load() as Partial<UsbDetectionModule> | null;
    if (!loaded || typeof loaded.startMonitoring !== 'function' || typeof loaded.stopMonitoring !== 'function' || typeof loaded.on !== 'function') {
      return { ok: false, reason: 'usb-detection loaded but is not the expected module' };
    }
    mod = loaded as UsbDetectionModule;
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message.split('\n')[0]!.slice(0, 300) : String(error) };
  }
  let started = false;
  return {
    ok: true,
    events: {
      start(listener) {
        if (started) return;
        mod.on('add', (d) => listener('add', toEvent(d)));
        mod.on('remove', (d) => listener('remove', toEvent(d)));
        mod.startMonitoring();
        started = true;
      },
      stop() {
        if (!started) return;
        started = false;
        try {
          mod.removeAllListeners?.('add');
          mod.removeAllListeners?.('remove');
          mod.stopMonitoring();
        } catch {
          // Stopping a monitor that already died is not worth a crash at shutdown.
        }
      },
    },
  };
}
