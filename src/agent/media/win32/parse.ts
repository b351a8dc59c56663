import { flagSharedSerials, identify, normalizeSerial, normalizeVolumeId, type MediumBus, type MediumKind, type MediumVolume } from '../../../shared/media/identity.js';
import { deviceText, usbId } from '../../../shared/media/text.js';
import { step, type Medium, type StepProblem } from '../types.js';
import type { EnforcementStep } from '../../../shared/media/events.js';
import { EJECT_LINE, MEDIA_LINE } from './script.js';

/**
 * The Windows media script's JSON (see script.ts) to media. Pure, tested on output reconstructed
 * from recorded Get-Disk / Win32_DiskDrive values (test/fixtures/media/win32/README.md).
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** ConvertTo-Json in 5.1 prints one element as an object and none as nothing: accept all three. */
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);

/** BusType as a name (Storage type data) or the raw MSFT_Disk number: 4 1394, 7 USB, 12 SD, 13 MMC. */
function busOf(disk: Json): MediumBus | null {
  const name = typeof disk.busType === 'string' ? disk.busType.trim().toUpperCase() : '';
  const value = typeof disk.busTypeValue === 'number' ? disk.busTypeValue : typeof disk.busType === 'number' ? disk.busType : /^\d+$/.test(name) ? Number(name) : null;
  if (name === 'USB' || value === 7) return 'usb';
  if (name === 'SD' || name === 'MMC' || value === 12 || value === 13) return 'sd';
  if (name === '1394' || value === 4) return 'firewire';
  // Win32_DiskDrive fallback: no BusType, but InterfaceType and a USBSTOR device id say USB.
  const pnp = typeof disk.pnpDeviceId === 'string' ? disk.pnpDeviceId.toUpperCase() : '';
  if (name === '' && value === null && (String(disk.interfaceType ?? '').toUpperCase() === 'USB' || pnp.startsWith('USBSTOR\\'))) return 'usb';
  return null;
}

const PARENT_ID = /^USB\\VID_([0-9A-F]{4})&PID_([0-9A-F]{4})(?:&MI_[0-9A-F]{2})?\\(.{1,256})$/i;

/**
 * VID, PID and serial from the parent USB device id (USB\VID_0781&PID_5567\4C530001230101116172).
 * A device without a serial gets an instance id made up by Windows, recognisable by an & inside
 * (6&2c7d5a3d&0&2): that is no serial.
 */
export function usbParentIdentity(parentId: unknown): { vendorId: string | null; productId: string | null; serial: string | null } {
  const m = typeof parentId === 'string' ? PARENT_ID.exec(parentId.trim()) : null;
  if (!m) return { vendorId: null, productId: null, serial: null };
  const instance = m[3]!;
  return { vendorId: usbId(m[1]!), productId: usbId(m[2]!), serial: instance.includes('&') ? null : normalizeSerial(instance) };
}

/** The serial in a USBSTOR device id's instance (…\4C530001230101116172&0): the part before the last &, unless Windows made it up. */
export function usbstorSerial(pnpDeviceId: unknown): string | null {
  if (typeof pnpDeviceId !== 'string' || !/^USBSTOR\\/i.test(pnpDeviceId)) return null;
  const instance = pnpDeviceId.slice(pnpDeviceId.lastIndexOf('\\') + 1);
  const cut = instance.lastIndexOf('&');
  const serial = cut > 0 ? instance.slice(0, cut) : instance;
  return serial.includes('&') ? null : normalizeSerial(serial);
}

/** Vendor and product from a USBSTOR id (USBSTOR\DISK&VEN_SANDISK&PROD_CRUZER_BLADE&REV_1.26\…), underscores as spaces. */
export function usbstorNames(pnpDeviceId: unknown): { vendor: string | null; product: string | null } {
  if (typeof pnpDeviceId !== 'string') return { vendor: null, product: null };
  const ven = /&VEN_([^&\\]*)/i.exec(pnpDeviceId)?.[1] ?? null;
  const prod = /&PROD_([^&\\]*)/i.exec(pnpDeviceId)?.[1] ?? null;
  const name = (v: string | null) => deviceText(v?.replace(/_/g, ' '));
  return { vendor: name(ven), product: name(prod) };
}

const size = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : null);

function volumesOf(disk: Json): MediumVolume[] {
  return asArray(disk.partitions)
    .filter(isObject)
    .slice(0, 64)
    .map((p): MediumVolume | null => {
      const letter = typeof p.driveLetter === 'string' && /^[A-Za-z]$/.test(p.driveLetter) ? p.driveLetter.toUpperCase() : null;
      const folders = asArray(p.accessPaths).filter((a): a is string => typeof a === 'string' && /^[A-Za-z]:\\./.test(a));
      const mountPoints = [...(letter ? [`${letter}:\\`] : []), ...folders.map((f) => deviceText(f, 4096)).filter((f): f is string => f !== null)].slice(0, 16);
      const fileSystem = deviceText(p.fileSystem, 64);
      if (!fileSystem && mountPoints.length === 0) return null;
      const readOnly = typeof p.isReadOnly === 'boolean' && mountPoints.length > 0 ? p.isReadOnly : null;
      return {
        device: deviceText(p.volumeId, 512) ?? (letter ? `${letter}:` : null),
        label: deviceText(p.label),
        fileSystem,
        volumeId: normalizeVolumeId(p.volumeSerial),
        mountPoints,
        sizeBytes: size(p.size),
        readOnly,
      };
    })
    .filter((v): v is MediumVolume => v !== null);
}

/** The script's output (its `media=` line) as media, and the errors it reported; no line: no media and one error. */
export function parseWindowsMedia(output: string): { media: Medium[]; errors: string[] } {
  const line = output.split(/\r?\n/).find((l) => l.startsWith(MEDIA_LINE));
  if (!line) return { media: [], errors: ['the media script printed no result'] };
  let doc: unknown;
  try {
    doc = JSON.parse(line.slice(MEDIA_LINE.length));
  } catch {
    return { media: [], errors: ['the media script printed broken JSON'] };
  }
  if (!isObject(doc)) return { media: [], errors: ['the media script printed no object'] };
  const errors = asArray(doc.errors).map((e) => deviceText(e, 500)).filter((e): e is string => e !== null);
  const media: Medium[] = [];
  for (const disk of asArray(doc.disks).filter(isObject)) {
    const bus = busOf(disk);
    if (bus === null || disk.isBoot === true || disk.isSystem === true) continue;
    const number = typeof disk.number === 'number' && Number.isInteger(disk.number) && disk.number >= 0 && disk.number < 1000 ? disk.number : null;
    if (number === null) continue;
    const parent = usbParentIdentity(disk.parentId);
    const names = usbstorNames(disk.pnpDeviceId);
    const serial = parent.serial ?? usbstorSerial(disk.pnpDeviceId) ?? (parent.vendorId === null ? normalizeSerial(disk.serialNumber) : null);
    const friendly = deviceText(disk.friendlyName);
    // Get-Disk's Model is the device's own product string; Win32_DiskDrive's adds " USB Device".
    const model = deviceText(disk.model);
    const product = (model && !/ USB Device$/i.test(model) ? model : null) ?? names.product ?? friendly;
    const capacity = size(disk.size);
    const volumes = volumesOf(disk);
    let kind: MediumKind = bus === 'sd' ? 'sd-card' : 'usb-stick';
    // Windows has no removable flag worth trusting here (USB disks say Fixed): a large USB device with a
    // model naming a disk is a USB disk; sticks and readers stay sticks/cards.
    if (bus === 'usb' && /card ?reader|sd\/mmc|sdxc|sdhc|micro ?sd/i.test(`${product ?? ''} ${friendly ?? ''}`)) kind = 'sd-card';
    else if (bus === 'usb' && /\b(hdd|ssd|hard ?disk|portable|passport|expansion|external|elements)\b/i.test(`${product ?? ''} ${friendly ?? ''}`)) kind = 'usb-disk';
    const identity = identify({
      bus,
      kind,
      vendorId: parent.vendorId,
      productId: parent.productId,
      serial,
      vendor: names.vendor ?? deviceText(disk.manufacturer),
      product,
      capacityBytes: capacity,
      volumes,
    });
    const instanceId = typeof disk.parentId === 'string' && PARENT_ID.test(disk.parentId) ? disk.parentId : typeof disk.pnpDeviceId === 'string' ? disk.pnpDeviceId : null;
    media.push({
      identity,
      instance: `disk${number}#${(instanceId ?? '-').slice(0, 200)}`,
      handle: { disk: String(number), deviceInstanceId: instanceId && isEjectableInstanceId(instanceId) ? instanceId : null },
    });
  }
  return { media: flagSharedSerials(media), errors };
}

/** A device instance id the agent will hand to the eject script (the script checks the same pattern). */
export function isEjectableInstanceId(id: string): boolean {
  return /^(USB|USBSTOR|SCSI|SD|SDBUS)\\[A-Za-z0-9&_.#+-]{1,200}\\[A-Za-z0-9&_.#{}+-]{1,200}$/.test(id);
}

/** The eject script's answer (`eject=ok`, `eject=veto:<type>:<name>`, `eject=gone:<cr>`, …) as a step. */
export function parseEjectOutput(output: string, target: string): EnforcementStep {
  const line = output.split(/\r?\n/).find((l) => l.startsWith(EJECT_LINE))?.slice(EJECT_LINE.length).trim() ?? null;
  if (line === null) return step('eject', target, 'failed', 'the eject script printed no result');
  if (line === 'ok') return step('eject', target, null, null);
  const [kind, ...rest] = line.split(':');
  const detail = rest.join(':');
  const problems: Record<string, StepProblem> = { veto: 'busy', gone: 'gone', refused: 'failed', unsupported: 'not-supported', error: 'failed' };
  // Every PNP_VETO_TYPE (5 PNP_VetoOutstandingOpen: open handles; 6 PNP_VetoDevice …) means something holds the device: busy.
  return step('eject', target, problems[kind ?? ''] ?? 'failed', detail ? `${kind}: ${detail}` : (kind ?? null));
}
