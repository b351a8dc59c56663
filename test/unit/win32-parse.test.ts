import { describe, expect, it } from 'vitest';
import { parseScanOutput, parseSectionJson, readSection, WindowsScanError } from '../../src/agent/collectors/win32/parse.js';
import { SCAN_SECTIONS } from '../../src/agent/collectors/win32/script.js';
import { fixtureBytes, fixtureScan } from './win32-fixtures.js';

describe('parseSectionJson reads one section the way Windows PowerShell 5.1 prints it', () => {
  it.each([
    ['an array', '[{"a":1},{"a":2}]', [{ a: 1 }, { a: 2 }]],
    ['a lone object (no -InputObject @())', '{"a":1}', [{ a: 1 }]],
    ['nothing at all (zero results piped)', '', []],
    ['only blanks', '  \r', []],
    ['null', 'null', []],
    ['an empty array', '[]', []],
    ['the {"value":[…],"Count":n} wrapper', '{"value":[{"a":1}],"Count":1}', [{ a: 1 }]],
    ['escaped apostrophes and ampersands', '[{"n":"R\\u0026D\\u0027s tool \\u003cx64\\u003e"}]', [{ n: "R&D's tool <x64>" }]],
    ['Japanese text', '[{"n":"一太郎2024"}]', [{ n: '一太郎2024' }]],
  ])('%s', (_label, json, expected) => {
    expect(parseSectionJson(json)).toEqual(expected);
  });

  it.each([
    ['a line cut off in an object', '[{"DisplayName":"秀丸エディ'],
    ['a line cut off between items', '[{"a":1},'],
    ['text that is not JSON', 'Get-AppxPackage : 操作に失敗しました'],
    ['a lone brace', '{'],
  ])('answers null for %s', (_label, json) => {
    expect(parseSectionJson(json)).toBeNull();
  });
});

describe('parseScanOutput', () => {
  it('reads every section of a complete run, and its empty failure list', () => {
    const scan = fixtureScan('scan-ja-workgroup.txt');
    expect(scan.complete).toBe(true);
    expect(scan.failures).toEqual([]);
    expect(scan.corrupt).toEqual([]);
    expect([...scan.sections.keys()].sort()).toEqual([...SCAN_SECTIONS].sort());
    expect(scan.sections.get('uninstall')).toHaveLength(17);
  });

  it('keeps the queries the script reported as failed, with their Japanese messages', () => {
    const scan = fixtureScan('scan-server-domain.txt');
    expect(scan.complete).toBe(true);
    expect(scan.failures.map((f) => f.query)).toEqual(['antivirus', 'firewallProducts', 'updateHistory', 'updateStatus', 'uninstall.hkcu.key']);
    expect(scan.failures[0]!.message).toBe('無効な名前空間です');
    expect(readSection(scan, 'antivirus')).toEqual({ status: 'failed', message: 'antivirus: 無効な名前空間です' });
    expect(readSection(scan, 'os').status).toBe('ok');
  });

  it('drops a UTF-8 byte-order mark before the first line', () => {
    const text = fixtureBytes('scan-server-domain.txt').toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(parseScanOutput(text).sections.has('uninstall')).toBe(true);
  });

  it('marks a section cut off mid-line as corrupt and everything after it as missing', () => {
    const scan = fixtureScan('scan-truncated.txt');
    expect(scan.complete).toBe(false);
    expect(scan.sections.has('uninstall')).toBe(true);
    expect(scan.sections.has('upgradeCodes')).toBe(true);
    expect(scan.corrupt).toEqual(['appx']);
    expect(readSection(scan, 'appx')).toEqual({ status: 'missing', message: 'appx: the output was cut off or garbled' });
    expect(readSection(scan, 'os')).toEqual({ status: 'missing', message: 'os: the script stopped before printing it' });
  });

  it('reads the PowerShell 5.1 shapes of every section as lists', () => {
    const scan = fixtureScan('scan-ps51-quirks.txt');
    expect(scan.complete).toBe(true);
    expect(scan.failures).toEqual([]);
    expect(scan.sections.get('uninstall')).toHaveLength(1);
    expect(scan.sections.get('upgradeCodes')).toEqual([]);
    expect(scan.sections.get('appx')).toEqual([]);
    expect(scan.sections.get('antivirus')).toEqual([]);
    expect(scan.sections.get('bitlocker')).toEqual([{ drive: 'C:', protection: 3, system: true }]);
  });

  it.each([
    ['scan-empty.txt', /printed nothing/],
    ['scan-not-the-script.txt', /printed something else than its results: このシステムではスクリプトの実行が無効/],
  ])('refuses %s with a clear WindowsScanError', (file, message) => {
    const text = fixtureBytes(file).toString('utf8');
    expect(() => parseScanOutput(text)).toThrow(WindowsScanError);
    expect(() => parseScanOutput(text)).toThrow(message);
  });

  it('ignores text before the first line and lines that are not sections', () => {
    const scan = parseScanOutput('警告: something\r\nformat=1\r\nnot a section line\r\nunknown=[1]\r\nos=[{"CurrentBuild":"22631"}]\r\nos=[{"CurrentBuild":"1"}]\r\n');
    expect(scan.sections.get('os')).toEqual([{ CurrentBuild: '22631' }]);
    expect(scan.complete).toBe(false);
    expect(readSection(scan, 'appx')).toEqual({ status: 'missing', message: 'appx: the script stopped before printing it' });
  });

  it('says a section is missing although the script finished', () => {
    const scan = parseScanOutput('format=1\nerrors=[]\n');
    expect(readSection(scan, 'uninstall')).toEqual({ status: 'missing', message: 'uninstall: the script printed no result' });
  });
});
