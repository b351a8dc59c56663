import iconv from 'iconv-lite';

/** Encodings that OS tools print in: UTF-8, UTF-16LE (reg export, wmic) and CP932 (Japanese Windows console). */
export type OutputEncoding = 'utf8' | 'utf16le' | 'cp932';

/**
 * Decodes a whole command output (never a chunk of it) and drops a leading byte-order mark.
 * Bytes that are not valid in the encoding become U+FFFD instead of throwing.
 */
export function decodeOutput(bytes: Buffer | Uint8Array, encoding: OutputEncoding): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  let text: string;
  if (encoding === 'utf8') text = buf.toString('utf8');
  else text = iconv.decode(buf, encoding);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Guesses the encoding of Windows tool output: a UTF-16LE BOM or NUL bytes at odd offsets mean
 * UTF-16LE; valid UTF-8 stays UTF-8; anything else is the Japanese console code page, CP932.
 */
export function sniffWindowsEncoding(bytes: Buffer): OutputEncoding {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf16le';
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf8';
  let oddNuls = 0;
  const sample = Math.min(bytes.length, 512);
  for (let i = 1; i < sample; i += 2) if (bytes[i] === 0) oddNuls++;
  if (sample > 4 && oddNuls > sample / 8) return 'utf16le';
  return isValidUtf8(bytes) ? 'utf8' : 'cp932';
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Cleans a string from the outside (OS tool, device, registry) before it is stored: removes C0/C1
 * control characters except tab, trims, caps the length, and turns an empty result into null.
 */
export function cleanText(value: unknown, maxLength = 1024): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  if (text === null) return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '').trim();
  if (cleaned === '') return null;
  return cleaned.length > maxLength ? cleaned.slice(0, maxLength) : cleaned;
}
