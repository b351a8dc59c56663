import { describe, expect, it } from 'vitest';
import { decodeOutput, sniffWindowsEncoding } from '../../src/agent/collectors/text.js';

// Japanese Windows prints console output in CP932 (Shift_JIS with Microsoft's extensions) when a
// program does not switch to UTF-8 (platforms.md §4). The bytes below are written out by hand,
// not produced by the decoder under test.
const CP932 = {
  一太郎: [0x88, 0xea, 0x91, 0xbe, 0x98, 0x59],
  // ソ (83 5C) and 表 (95 5C) end in 0x5C, the ASCII backslash: the classic 「ダメ文字」.
  ソフト表示: [0x83, 0x5c, 0x83, 0x74, 0x83, 0x67, 0x95, 0x5c, 0x8e, 0xa6],
  ジャストシステム: [0x83, 0x57, 0x83, 0x83, 0x83, 0x58, 0x83, 0x67, 0x83, 0x56, 0x83, 0x58, 0x83, 0x65, 0x83, 0x80],
  // Microsoft's extensions to Shift_JIS: circled digit one (87 40) and the numero sign (87 82).
  '①№': [0x87, 0x40, 0x87, 0x82],
  // Half-width katakana are single bytes.
  ｶﾀｶﾅ: [0xb6, 0xc0, 0xb6, 0xc5],
} as const;

describe('decodeOutput with CP932 console bytes', () => {
  it.each(Object.entries(CP932))('decodes %s intact', (text, bytes) => {
    expect(decodeOutput(Buffer.from(bytes), 'cp932')).toBe(text);
  });

  it('decodes a whole line with ASCII around the Japanese', () => {
    const bytes = Buffer.from([...Buffer.from('DisplayName    REG_SZ    '), ...CP932.一太郎, 0x32, 0x30, 0x32, 0x34, 0x0d, 0x0a]);
    expect(decodeOutput(bytes, 'cp932')).toBe('DisplayName    REG_SZ    一太郎2024\r\n');
  });

  it('turns bytes that are not CP932 into U+FFFD instead of throwing', () => {
    const text = decodeOutput(Buffer.from([0x41, 0x85, 0x42, 0x88]), 'cp932');
    expect(text.startsWith('A')).toBe(true);
    expect(text).toContain('\ufffd');
  });

  it('shows why CP932 must never be read as UTF-8', () => {
    expect(decodeOutput(Buffer.from(CP932.一太郎), 'utf8')).not.toBe('一太郎');
  });
});

describe('sniffWindowsEncoding', () => {
  it.each([
    ['CP932 Japanese', Buffer.from([...Buffer.from('format=1\r\n'), ...CP932.ソフト表示]), 'cp932'],
    ['UTF-8 Japanese', Buffer.from('format=1\r\n一太郎2024', 'utf8'), 'utf8'],
    ['UTF-8 with BOM', Buffer.from('\ufeffformat=1', 'utf8'), 'utf8'],
    ['UTF-16LE with BOM (reg export)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Windows Registry Editor Version 5.00', 'utf16le')]), 'utf16le'],
    ['UTF-16LE without BOM', Buffer.from('Windows Registry Editor Version 5.00', 'utf16le'), 'utf16le'],
    ['plain ASCII', Buffer.from('format=1'), 'utf8'],
  ])('%s → %s', (_label, bytes, expected) => {
    expect(sniffWindowsEncoding(bytes)).toBe(expected);
  });

  it('decodes what it sniffed, dropping a BOM', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('秀丸エディタ')]);
    expect(decodeOutput(bytes, sniffWindowsEncoding(bytes))).toBe('秀丸エディタ');
  });
});
