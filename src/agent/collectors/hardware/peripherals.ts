import type {
  BatterySection,
  Display,
  GraphicsController,
  GraphicsSection,
  Printer,
  UsbDevice,
} from '../../../shared/inventory/index.js';
import type { Platform } from '../../../shared/platform.js';
import type { z } from 'zod';
import { bool, dmiText, list, nonNegativeInt, num, positiveInt, record, serialText, text, usbId } from './normalize.js';
import { sortBy } from './storage.js';

export type GraphicsData = z.infer<typeof GraphicsSection>;
export type BatteryData = z.infer<typeof BatterySection>;
type ControllerData = z.infer<typeof GraphicsController>;
type DisplayData = z.infer<typeof Display>;
type PrinterData = z.infer<typeof Printer>;
type UsbDeviceData = z.infer<typeof UsbDevice>;

/**
 * Maps si.graphics() to the graphics section. The library reports a display's physical size in
 * centimetres on Windows (WmiMonitorBasicDisplayParams) and in millimetres elsewhere (EDID), so
 * the platform is needed to give millimetres. Blank display entries (dual-GPU Macs list one) are
 * left out.
 */
export function mapGraphics(siGraphics: unknown, platform: Platform): GraphicsData {
  const g = record(siGraphics);
  const controllers = list(g.controllers)
    .map((entry): ControllerData => {
      const c = record(entry);
      return {
        vendor: dmiText(c.vendor),
        model: dmiText(c.model),
        vramMB: positiveInt(c.vram),
        driverVersion: text(c.driverVersion, 128),
        bus: text(c.bus, 64),
      };
    })
    .filter((c) => c.vendor !== null || c.model !== null);
  const mmPerUnit = platform === 'win32' ? 10 : 1;
  const displays = list(g.displays)
    .map((entry): DisplayData => {
      const d = record(entry);
      const sizeX = positiveInt(d.sizeX);
      const sizeY = positiveInt(d.sizeY);
      return {
        vendor: dmiText(d.vendor),
        model: dmiText(d.model),
        serial: serialText(d.serial),
        connection: text(d.connection, 64),
        main: bool(d.main),
        builtin: bool(d.builtin),
        resolutionX: positiveInt(d.currentResX) ?? positiveInt(d.resolutionX),
        resolutionY: positiveInt(d.currentResY) ?? positiveInt(d.resolutionY),
        sizeXmm: sizeX === null ? null : sizeX * mmPerUnit,
        sizeYmm: sizeY === null ? null : sizeY * mmPerUnit,
      };
    })
    .filter((d) => d.vendor !== null || d.model !== null || d.resolutionX !== null);
  return { controllers: controllers.slice(0, 64), displays: displays.slice(0, 64) };
}

const NO_BATTERY: BatteryData = {
  present: false,
  manufacturer: null,
  model: null,
  serial: null,
  chemistry: null,
  cycleCount: null,
  designedCapacityMWh: null,
  maxCapacityMWh: null,
  healthPercent: null,
};

/**
 * Maps si.battery() to the battery section, without the charge level (it changes all the
 * time). Capacities are given only when the library says they are in mWh; health is full-charge
 * capacity over design capacity in percent, to one decimal. A cycle count of 0 is the library's
 * "unknown" (Windows never reports one), so it becomes null.
 */
export function mapBattery(siBattery: unknown): BatteryData {
  const b = record(siBattery);
  if (b.hasBattery !== true) return { ...NO_BATTERY };
  const designed = num(b.designedCapacity);
  const max = num(b.maxCapacity);
  const inMWh = typeof b.capacityUnit === 'string' && b.capacityUnit.trim().toLowerCase() === 'mwh';
  let healthPercent: number | null = null;
  if (designed !== null && max !== null && designed > 0 && max > 0) {
    const ratio = (max / designed) * 100;
    // A ratio far outside what a battery can hold means one of the two numbers is garbage.
    healthPercent = ratio <= 200 ? Math.round(ratio * 10) / 10 : null;
  }
  return {
    present: true,
    manufacturer: dmiText(b.manufacturer),
    model: dmiText(b.model),
    serial: serialText(b.serial),
    chemistry: dmiText(b.type, 64),
    cycleCount: positiveInt(b.cycleCount),
    designedCapacityMWh: inMWh ? positiveInt(designed) : null,
    maxCapacityMWh: inMWh ? positiveInt(max) : null,
    healthPercent,
  };
}

/** Maps si.printer() to the printers section; entries without a name are left out. */
export function mapPrinters(siPrinters: unknown): PrinterData[] {
  const printers: PrinterData[] = [];
  for (const entry of list(siPrinters)) {
    const p = record(entry);
    const name = text(p.name);
    if (name === null) continue;
    printers.push({
      name,
      model: text(p.model),
      uri: text(p.uri),
      status: text(p.status, 64),
      isDefault: bool(p.default),
      local: bool(p.local),
      shared: bool(p.shared),
    });
  }
  return sortBy(printers, (p) => p.name).slice(0, 1024);
}

/**
 * Maps si.usb() to the USB section. Ids come from where each OS puts them: Linux "8087:0024" in
 * `id`, Windows "USB\VID_0781&PID_5151\<instance>" in `deviceId`. A Windows instance id that has
 * no "&" is the device's serial number (Windows builds one with "&" when the device has none).
 * On Linux the device is named by its usbfs node (/dev/bus/usb/BBB/DDD), which changes on replug.
 */
export function mapUsb(siUsb: unknown): UsbDeviceData[] {
  const devices: UsbDeviceData[] = [];
  for (const entry of list(siUsb)) {
    const u = record(entry);
    const bus = nonNegativeInt(u.bus);
    const pnpId = typeof u.deviceId === 'string' ? text(u.deviceId) : null;
    const devNum = typeof u.deviceId === 'number' ? nonNegativeInt(u.deviceId) : null;
    let vendorId: string | null = null;
    let productId: string | null = null;
    let serial = serialText(u.serialNumber);
    let deviceId: string | null = null;
    const linuxId = typeof u.id === 'string' ? /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(u.id.trim()) : null;
    if (linuxId) {
      vendorId = usbId(linuxId[1]);
      productId = usbId(linuxId[2]);
    }
    if (pnpId !== null) {
      deviceId = pnpId;
      const pnp = /^USB\\VID_([0-9A-F]{4})&PID_([0-9A-F]{4})(?:&[^\\]*)?\\(.+)$/i.exec(pnpId);
      if (pnp) {
        vendorId = usbId(pnp[1]);
        productId = usbId(pnp[2]);
        if (serial === null && pnp[3] && !pnp[3].includes('&')) serial = serialText(pnp[3]);
      }
    } else if (bus !== null && devNum !== null) {
      deviceId = `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(devNum).padStart(3, '0')}`;
    }
    const name = dmiText(u.name);
    if (name === null && vendorId === null && deviceId === null) continue;
    devices.push({
      bus,
      deviceId,
      vendorId,
      productId,
      name,
      type: text(u.type, 64),
      manufacturer: dmiText(u.manufacturer) ?? dmiText(u.vendor),
      serial,
      removable: bool(u.removable),
    });
  }
  return sortBy(devices, (d) => `${d.deviceId ?? ''}\u0000${d.vendorId ?? ''}:${d.productId ?? ''}\u0000${d.name ?? ''}`).slice(0, 1024);
}
