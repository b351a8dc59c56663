import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiJson } from '../../src/shared/protocol/ascii-json.js';

describe('ASCII-only JSON bodies', () => {
  it('spell the same value in ASCII: Japanese, half-width kana, astral and lone surrogates, control characters', () => {
    const value = { name: '一太郎２０２４', kana: 'ｳｨﾆｰ', emoji: '🗂', lone: '\ud800x', nul: 'a\u0000b', del: '\u007f', plain: 'bash 5.2' };
    const text = asciiJson(value);
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('\\u4e00\\u592a\\u90ce');
    expect(text).toContain('\\ud83d\\uddc2');
  });

  it('parse back to the same value for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = asciiJson(value);
        expect([...text].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
        expect(JSON.stringify(JSON.parse(text))).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });
});
