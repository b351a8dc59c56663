import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OsSection, PostureSection, SoftwareSection, UsersSection } from '../../src/shared/inventory/index.js';
import { powershellPath, win32Collectors } from '../../src/agent/collectors/platform.win32.js';
import { inventoryScript, SCAN_SECTIONS } from '../../src/agent/collectors/win32/script.js';
import { fixtureBytes, replayContext } from './win32-fixtures.js';

const POWERSHELL = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const OsDetailsShape = OsSection.pick({ domain: true, workgroup: true, domainJoined: true, build: true, installDate: true, version: true });

async function collectAll(ctx: ReturnType<typeof replayContext>['ctx']) {
  return Promise.allSettled([win32Collectors.software(ctx), win32Collectors.posture(ctx), win32Collectors.localUsers(ctx), win32Collectors.osDetails(ctx)]);
}

describe('win32Collectors on a replayed Japanese workstation', () => {
  it('runs the script once for all four collectors and every result fits its schema', async () => {
    const { ctx, calls } = replayContext({ stdout: fixtureBytes('scan-ja-workgroup.txt') });
    const [software, posture, localUsers, osDetails] = await Promise.all([
      win32Collectors.software(ctx),
      win32Collectors.posture(ctx),
      win32Collectors.localUsers(ctx),
      win32Collectors.osDetails(ctx),
    ]);
    expect(calls).toHaveLength(1);
    expect(SoftwareSection.parse(software)).toHaveLength(15);
    expect(PostureSection.parse(posture).antivirus.state).toBe('on');
    expect(UsersSection.shape.local.parse(localUsers).map((u) => u.name)).toContain('taro');
    expect(OsDetailsShape.parse(osDetails)).toEqual({
      domain: null,
      workgroup: 'WORKGROUP',
      domainJoined: false,
      build: '22631.4602',
      installDate: '2024-02-01T00:00:00.000Z',
      version: '23H2',
    });
    expect(software.map((s) => s.name)).toEqual(expect.arrayContaining(['一太郎2024', '秀丸エディタ', 'e-Taxソフト（ダウンロード版）']));
    expect(software.find((s) => s.name === '一太郎2024')!.publisher).toBe('株式会社ジャストシステム');
  });

  it('runs the script again for another scan (another context)', async () => {
    const first = replayContext({ stdout: fixtureBytes('scan-ja-workgroup.txt') });
    const second = replayContext({ stdout: fixtureBytes('scan-server-domain.txt') });
    await win32Collectors.osDetails(first.ctx);
    await win32Collectors.osDetails(first.ctx);
    expect((await win32Collectors.osDetails(second.ctx)).domain).toBe('corp.city.example.lg.jp');
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(1);
  });

  it('keeps Japanese names intact when PowerShell could not switch to UTF-8 and printed CP932', async () => {
    const text = fixtureBytes('scan-ja-workgroup.txt').toString('utf8');
    const cp932 = iconv.encode(text, 'cp932');
    expect(iconv.decode(cp932, 'cp932')).toBe(text);
    const { ctx } = replayContext({ stdout: cp932 });
    const software = await win32Collectors.software(ctx);
    expect(software.find((s) => s.id === 'registry-hklm:Hidemaru')).toMatchObject({ name: '秀丸エディタ', publisher: '有限会社サイトー企画' });
    expect(software.find((s) => s.id === 'registry-hklm:{DFD9E015-E5B5-4304-9936-CB9471771424}')!.publisher).toBe('Яндекс');
  });
});

describe('how win32Collectors runs PowerShell', () => {
  it('passes the constant script as -EncodedCommand (base64 of UTF-16LE) to powershell.exe by absolute path', async () => {
    const { ctx, calls } = replayContext({ stdout: fixtureBytes('scan-ja-workgroup.txt') });
    ctx.homeDir = 'C:\\Users\\a"; Remove-Item -Recurse C:\\ #$(whoami)';
    await win32Collectors.software(ctx);
    const [call] = calls;
    expect(call!.file.replace(/^[A-Z]:\\[^\\]+\\/i, 'C:\\Windows\\')).toBe(POWERSHELL);
    expect(call!.args.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    expect(call!.args).toHaveLength(6);
    const encoded = call!.args[5]!;
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(encoded, 'base64').toString('utf16le')).toBe(inventoryScript());
    expect(call!.args.join(' ')).not.toContain('Remove-Item');
    expect(call!.options!.timeoutMs).toBeGreaterThanOrEqual(25_000);
    expect(call!.options!.timeoutMs).toBeLessThan(30_000);
  });

  it('honours a longer per-command timeout', async () => {
    const { ctx, calls } = replayContext({ stdout: fixtureBytes('scan-ja-workgroup.txt') });
    ctx.commandTimeoutMs = 28_000;
    await win32Collectors.osDetails(ctx);
    expect(calls[0]!.options!.timeoutMs).toBe(28_000);
  });

  it('finds PowerShell under SystemRoot, through Sysnative for a 32-bit agent on 64-bit Windows', () => {
    expect(powershellPath({ SystemRoot: 'D:\\WINDOWS' }, 'x64')).toBe('D:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powershellPath({ SystemRoot: 'C:\\Windows', PROCESSOR_ARCHITEW6432: 'AMD64' }, 'ia32')).toBe('C:\\Windows\\Sysnative\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powershellPath({}, 'ia32')).toBe(POWERSHELL);
  });
});

describe('the inventory script', () => {
  const script = inventoryScript();

  it('fits the Windows command line with room to spare', () => {
    const commandLine = [POWERSHELL, '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')].join(' ');
    expect(commandLine.length).toBeLessThan(30_000);
  });

  it('switches the console to UTF-8 and silences progress before it prints anything', () => {
    const firstOutput = script.indexOf('[Console]::Out.WriteLine(');
    expect(script.indexOf('[Console]::OutputEncoding=')).toBeGreaterThan(-1);
    expect(script.indexOf('[Console]::OutputEncoding=')).toBeLessThan(firstOutput);
    expect(script.indexOf("$ProgressPreference='SilentlyContinue'")).toBeLessThan(firstOutput);
  });

  it('runs every section through the try/catch wrapper, and prints JSON arrays with explicit depth', () => {
    for (const section of SCAN_SECTIONS) expect(script).toContain(`\nQ ${section} {`);
    expect(script).toContain('function Q($n,[scriptblock]$b){try{W $n @(& $b)}catch{F $n $_.Exception.Message}}');
    expect(script).toContain('ConvertTo-Json -Depth 4 -Compress -InputObject $v');
    expect(script).toContain(".ToString('o')");
    expect(script).not.toMatch(/ConvertTo-Json(?![^\n]*-InputObject)/);
  });

  it('selects explicit fields and never pipes whole objects (PSPath, PSProvider…) into JSON', () => {
    expect(script).not.toContain('Get-ItemProperty');
    expect(script).not.toMatch(/\|\s*ConvertTo-Json/);
  });

  it('finds Administrators by its well-known SID, never by its localized name alone', () => {
    expect(script).toContain('Get-LocalGroupMember -SID S-1-5-32-544');
    expect(script).not.toMatch(/Get-LocalGroupMember\s+(-Name|-Group)?\s*'?Administrators/);
  });

  it('is the same text every time', () => {
    expect(inventoryScript()).toBe(script);
  });
});

describe('win32Collectors when PowerShell fails', () => {
  it('rejects all four with a clear message when powershell.exe is missing', async () => {
    const { ctx } = replayContext('not-found');
    const results = await collectAll(ctx);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason.message).toMatch(/^Windows PowerShell was not found at .*powershell\.exe$/);
    }
  });

  it('rejects with a clear message on a timeout', async () => {
    const { ctx } = replayContext('timeout');
    await expect(win32Collectors.posture(ctx)).rejects.toThrow(/^the Windows inventory script did not finish in time/);
  });

  it('rejects empty output with the exit code', async () => {
    const { ctx } = replayContext({ code: 1, stdout: fixtureBytes('scan-empty.txt') });
    await expect(win32Collectors.software(ctx)).rejects.toThrow('the Windows inventory script printed nothing (exit code 1)');
  });

  it('rejects output that is not the script’s, quoting PowerShell’s CLIXML error in Japanese', async () => {
    const stderr = '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">用語 \'Get-LocalUser\' は認識されません。_x000D__x000A_</S><S S="Error">発生場所 行:1 文字:1_x000D__x000A_</S></Objs>';
    const { ctx } = replayContext({ code: 1, stdout: fixtureBytes('scan-not-the-script.txt'), stderr });
    const results = await collectAll(ctx);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const message = (result as PromiseRejectedResult).reason.message as string;
      expect(message).toContain('printed something else than its results: このシステムではスクリプトの実行が無効');
      expect(message).toContain("PowerShell said: 用語 'Get-LocalUser' は認識されません。 発生場所 行:1 文字:1");
    }
  });

  it('survives garbage bytes', async () => {
    const { ctx } = replayContext({ stdout: Buffer.from([0x00, 0xff, 0xfe, 0x81, 0x0a, 0x3d, 0x5b]) });
    const results = await collectAll(ctx);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof Error)).toBe(true);
  });

  it('keeps what it can from output cut off mid-run: posture as unknown, the lists refused', async () => {
    const { ctx } = replayContext({ stdout: fixtureBytes('scan-truncated.txt') });
    const [software, posture, localUsers, osDetails] = await collectAll(ctx);
    expect(software).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringContaining('appx: the output was cut off') }) });
    expect(posture.status).toBe('fulfilled');
    expect(z.object({ diskEncryption: z.object({ state: z.literal('unknown') }) }).safeParse((posture as PromiseFulfilledResult<unknown>).value).success).toBe(true);
    expect(localUsers.status).toBe('rejected');
    expect(osDetails.status).toBe('rejected');
  });
});
