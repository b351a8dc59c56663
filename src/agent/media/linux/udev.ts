import { deviceText, usbId } from '../../../shared/media/text.js';
import { normalizeSerial } from '../../../shared/media/identity.js';

/**
 * `udevadm info --query=property --name=/dev/sdb`: KEY=VALUE lines (the `--query=all` form prefixes
 * them with `E: `, accepted too). Newer systemd adds ID_USB_* next to ID_*, and ID_VENDOR/ID_MODEL
 * may then come from the SCSI INQUIRY rather than the USB descriptor, so ID_USB_* wins
 * (../../../../shared/notes/platforms.md §2.3). *_ENC values carry `\x20`-style escapes.
 */

/** The properties of one device; a later duplicate key wins, as in udev's own database. */
export function parseUdevProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').replace(/^E: /, '');
    const m = /^([A-Z0-9_]{1,64})=(.*)$/.exec(line);
    if (m) props.set(m[1]!, m[2]!.slice(0, 4096));
  }
  return props;
}

/** Decodes udev's `\xHH` escapes (bytes, UTF-8 as a whole) in an *_ENC value. */
export function decodeUdevEncoded(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(value.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1]!, 16));
      i += 3;
    } else for (const b of new TextEncoder().encode(value[i]!)) bytes.push(b);
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

export interface UdevUsbIdentity {
  bus: string | null;
  vendorId: string | null;
  productId: string | null;
  serial: string | null;
  vendor: string | null;
  product: string | null;
}

/** The USB identity in a device's udev properties (ID_USB_* preferred, ID_* otherwise); every field null when udev has nothing. */
export function usbIdentityFromUdev(props: ReadonlyMap<string, string>): UdevUsbIdentity {
  const get = (...keys: string[]): string | null => {
    for (const k of keys) {
      const v = props.get(k);
      if (v !== undefined && v.trim() !== '') return v;
    }
    return null;
  };
  const named = (enc: string[], plain: string[]): string | null => {
    const e = get(...enc);
    return deviceText(e !== null ? decodeUdevEncoded(e) : get(...plain)?.replace(/_/g, ' '));
  };
  // The first id that is really four hex digits: a broken ID_USB_* must not hide a good ID_*.
  const id = (...keys: string[]): string | null => {
    for (const k of keys) {
      const v = usbId(props.get(k) ?? null);
      if (v !== null) return v;
    }
    return null;
  };
  return {
    bus: deviceText(get('ID_BUS'), 32)?.toLowerCase() ?? null,
    vendorId: id('ID_USB_VENDOR_ID', 'ID_VENDOR_ID'),
    productId: id('ID_USB_MODEL_ID', 'ID_MODEL_ID'),
    serial: normalizeSerial(get('ID_USB_SERIAL_SHORT', 'ID_SERIAL_SHORT')),
    vendor: named(['ID_USB_VENDOR_ENC', 'ID_VENDOR_ENC'], ['ID_USB_VENDOR', 'ID_VENDOR']),
    product: named(['ID_USB_MODEL_ENC', 'ID_MODEL_ENC'], ['ID_USB_MODEL', 'ID_MODEL']),
  };
}
