// Windows Installer keeps product and upgrade codes in the registry as "packed" (compressed)
// GUIDs: no braces or dashes, the first three groups reversed character by character and each
// byte (pair of hex digits) of the last two groups swapped. {D0F23C3F-CA74-460F-9ADB-49CBD57F9688}
// is stored as F3C32F0D47ACF064A9BD94BC5DF76988 (the example Windows Installer references give).

// Lengths of the runs that are reversed, in order: 8, 4 and 4 characters, then eight bytes.
const RUNS = [8, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2] as const;

const GUID_RE = /^\{?([0-9A-Fa-f]{8})-([0-9A-Fa-f]{4})-([0-9A-Fa-f]{4})-([0-9A-Fa-f]{4})-([0-9A-Fa-f]{12})\}?$/;

/** A GUID in the form MSI and ARP use, `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` upper-case, or null when `text` is none. */
export function normalizeGuid(text: string): string | null {
  const match = GUID_RE.exec(text.trim());
  if (!match) return null;
  return `{${match.slice(1, 6).join('-').toUpperCase()}}`;
}

function reverseRuns(hex: string): string {
  let out = '';
  let at = 0;
  for (const length of RUNS) {
    out += [...hex.slice(at, at + length)].reverse().join('');
    at += length;
  }
  return out;
}

/** The GUID `{…}` stored as the packed 32-hex-digit form, or null when `packed` is not one. */
export function unpackGuid(packed: string): string | null {
  const text = packed.trim();
  if (!/^[0-9A-Fa-f]{32}$/.test(text)) return null;
  const hex = reverseRuns(text.toUpperCase());
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}}`;
}

/** The packed form of a GUID (with or without braces), or null when `guid` is not one. */
export function packGuid(guid: string): string | null {
  const normal = normalizeGuid(guid);
  if (!normal) return null;
  return reverseRuns(normal.replace(/[{}-]/g, ''));
}
