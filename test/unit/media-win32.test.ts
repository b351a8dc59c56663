import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../src/agent/collectors/exec.js';
import { decodeOutput, sniffWindowsEncoding } from '../../src/agent/collectors/text.js';
import { isEjectableInstanceId, parseEjectOutput, parseWindowsMedia, usbParentIdentity, usbstorNames, usbstorSerial } from '../../src/agent/media/win32/parse.js';
import { EJECT_ENV, ejectScript, mediaListScript } from '../../src/agent/media/win32/script.js';
import { Win32MediaSource } from '../../src/agent/media/win32/source.js';
import { MediumIdentity } from '../../src/shared/media/identity.js';

const DIR = new URL('../fixtures/media/win32/', import.meta.url);
const bytes = (name: string) => readFileSync(new URL(name, DIR));
/** As the agent reads PowerShell's output: sniffed (UTF-8, UTF-16LE or CP932), decoded once. */
const output = (name: string) => {
  const b = bytes(name);
  return decodeOutput(b, sniffWindowsEncoding(b));
};

describe('the Windows media script', () => {
  it('is constant text: nothing from a device or the user is spliced in', () => {
    expect(mediaListScript()).toBe(mediaListScript());
    expect(ejectScript()).not.toMatch(/USB\\VID_[0-9A-F]{4}/);
    expect(ejectScript()).toContain(`GetEnvironmentVariable('${EJECT_ENV}')`);
    // The script checks the id again with the same pattern the agent uses.
    expect(ejectScript()).toContain("'^(USB|USBSTOR|SCSI|SD|SDBUS)\\\\[A-Za-z0-9&_.#+-]{1,200}\\\\[A-Za-z0-9&_.#{}+-]{1,200}$'");
  });
});

describe('parseWindowsMedia', () => {
  it('classifies by bus: USB sticks, a USB disk that says Fixed, an SD card; never the boot NVMe', () => {
    const { media, errors } = parseWindowsMedia(output('media-storage-ja.txt'));
    expect(errors).toEqual([]);
    expect(media.map((m) => [m.handle.disk, m.identity.bus, m.identity.kind, m.identity.key, m.identity.serialStatus])).toEqual([
      ['1', 'usb', 'usb-stick', 'usb:0781:5567:4C530001230101116172', 'unique'],
      ['2', 'usb', 'usb-disk', 'usb:1058:25e2:575834314132383934303835', 'unique'],
      ['3', 'usb', 'usb-stick', 'usb:-:-:608059172314', 'unique'],
      ['4', 'usb', 'usb-stick', 'usb:090c:1000:-~8053063680~1C2B3A49', 'missing'],
      ['5', 'sd', 'sd-card', 'sd:-:-:-~63864569856~AAAABBBB', 'missing'],
    ]);
    for (const m of media) expect(() => MediumIdentity.parse(m.identity)).not.toThrow();
  });

  it('reads the identity and volumes of a stick (Japanese label, drive letter, volume serial)', () => {
    const [cruzer] = parseWindowsMedia(output('media-storage-ja.txt')).media;
    expect(cruzer!.identity).toMatchObject({ vendorId: '0781', productId: '5567', vendor: 'SANDISK', product: 'Cruzer Blade', capacityBytes: 4004511744 });
    expect(cruzer!.identity.volumes).toEqual([
      { device: '\\\\?\\Volume{a2b1c3d4-1f2e-11ef-9a1b-806e6f6e6963}\\', label: '広報課', fileSystem: 'FAT32', volumeId: '3A4F8CB4', mountPoints: ['E:\\'], sizeBytes: 4003463168, readOnly: false },
    ]);
    expect(cruzer!.handle.deviceInstanceId).toBe('USB\\VID_0781&PID_5567\\4C530001230101116172');
    expect(cruzer!.instance).toBe('disk1#USB\\VID_0781&PID_5567\\4C530001230101116172');
  });

  it('reads Windows PowerShell 5.1 output: one object instead of an array, BusType as a number, a BOM', () => {
    const { media, errors } = parseWindowsMedia(output('media-ps51-quirks.txt'));
    expect(errors).toEqual(["Get-PnpDeviceProperty: The term 'Get-PnpDeviceProperty' is not recognized as the name of a cmdlet"]);
    expect(media).toHaveLength(1);
    expect(media[0]!.identity).toMatchObject({ key: 'usb:0951:1666:1831BFBB3E7AF74079240431', volumes: [{ label: 'KINGSTON', mountPoints: ['E:\\'], volumeId: 'E0B61A2C' }] });
  });

  it('falls back to Win32_DiskDrive when Get-Disk is refused (InterfaceType USB), skipping the internal disk', () => {
    const { media, errors } = parseWindowsMedia(output('media-win32-fallback.txt'));
    expect(errors[0]).toMatch(/Get-Disk/);
    expect(media.map((m) => [m.handle.disk, m.identity.key, m.identity.volumes[0]!.label])).toEqual([['1', 'usb:0781:5567:4C530001230101116172', '広報課']]);
  });

  it('decodes output that arrived in CP932 (the UTF-8 switch failed) without mojibake', () => {
    const b = bytes('media-cp932.txt');
    expect(sniffWindowsEncoding(b)).toBe('cp932');
    const { media } = parseWindowsMedia(output('media-cp932.txt'));
    expect(media[0]!.identity.volumes[0]!.label).toBe('経理課ﾃﾞｰﾀ');
  });

  it.each([
    ['media-not-the-script.txt', 'the media script printed no result'],
    ['media-truncated.txt', 'the media script printed broken JSON'],
  ])('%s gives no media and says why', (name, error) => {
    expect(parseWindowsMedia(output(name))).toEqual({ media: [], errors: [error] });
  });

  it('keeps hostile values safe: control characters, kilobytes, a made-up device id', () => {
    const disk = {
      number: 7, friendlyName: `Evil\u0007${'Y'.repeat(4000)}`, busType: 'USB', size: 1000, isBoot: false, isSystem: false,
      pnpDeviceId: 'USBSTOR\\DISK&VEN_X&PROD_Y\\A&B&C', parentId: 'USB\\VID_0781&PID_5567\\bad"; Remove-Item C:\\ -Recurse',
      partitions: [{ driveLetter: 'ZZ', accessPaths: ['\\\\evil\\share', 'C:\\Mount\\Stick'], fileSystem: 'FAT32', label: '\u202eabc', volumeSerial: 12 }],
    };
    const { media } = parseWindowsMedia(`media=${JSON.stringify({ disks: [disk, { number: 'x', busType: 'USB' }, null, 5] })}`);
    expect(media).toHaveLength(1);
    const m = media[0]!;
    expect(m.identity.product!.length).toBeLessThanOrEqual(256);
    expect(m.identity.volumes[0]).toMatchObject({ label: 'abc', mountPoints: ['C:\\Mount\\Stick'], volumeId: '12' });
    expect(m.handle.deviceInstanceId).toBeNull();
    expect(() => MediumIdentity.parse(m.identity)).not.toThrow();
  });
});

describe('Windows device ids', () => {
  it.each([
    ['USB\\VID_0781&PID_5567\\4C530001230101116172', { vendorId: '0781', productId: '5567', serial: '4C530001230101116172' }],
    ['USB\\VID_090C&PID_1000\\6&2C7D5A3D&0&2', { vendorId: '090c', productId: '1000', serial: null }],
    ['USB\\VID_046D&PID_C52B&MI_00\\7&1A2B&0&0000', { vendorId: '046d', productId: 'c52b', serial: null }],
    ['PCI\\VEN_10EC&DEV_5227\\4&2C2B1A8&0&00E4', { vendorId: null, productId: null, serial: null }],
    [null, { vendorId: null, productId: null, serial: null }],
  ])('parent %s', (id, expected) => {
    expect(usbParentIdentity(id)).toEqual(expected);
  });

  it('USBSTOR ids: the serial before the last &, unless Windows made it up; names with spaces', () => {
    expect(usbstorSerial('USBSTOR\\DISK&VEN_MEMOREX&PROD_USB_FLASH_DRIVE&REV_0000\\608059172314&0')).toBe('608059172314');
    expect(usbstorSerial('USBSTOR\\DISK&VEN_SMI&PROD_USB_DISK&REV_1100\\7&1A2B3C4D&0')).toBeNull();
    expect(usbstorSerial('SCSI\\DISK&VEN_NVME\\5&2F1A3B8&0&000000')).toBeNull();
    expect(usbstorNames('USBSTOR\\DISK&VEN_SANDISK&PROD_CRUZER_BLADE&REV_1.26\\4C53&0')).toEqual({ vendor: 'SANDISK', product: 'CRUZER BLADE' });
  });

  it.each([
    ['USB\\VID_0781&PID_5567\\4C530001230101116172', true],
    ['USBSTOR\\DISK&VEN_SANDISK&PROD_CRUZER_BLADE&REV_1.26\\4C530001230101116172&0', true],
    ["USB\\VID_0781&PID_5567\\x'; Remove-Item C:\\", false],
    ['USB\\VID_0781&PID_5567\\a b', false],
    ['PCI\\VEN_10EC&DEV_5227\\4&2C2B1A8&0&00E4', false],
  ])('%s may be ejected: %s', (id, ok) => {
    expect(isEjectableInstanceId(id)).toBe(ok);
  });
});

describe('ejecting on Windows', () => {
  it.each([
    ['eject-ok.txt', true, null],
    ['eject-veto-open.txt', false, 'busy'],
    ['eject-gone.txt', false, 'gone'],
    ['eject-unsupported.txt', false, 'not-supported'],
  ])('%s → ok %s (%s)', (name, ok, problem) => {
    expect(parseEjectOutput(output(name), 'USB\\VID_0781&PID_5567\\4C530001230101116172')).toMatchObject({ step: 'eject', ok, problem });
  });

  it('passes the device id only in the environment, to a constant encoded script', async () => {
    const calls: Array<{ file: string; args: readonly string[]; env: Record<string, string> | undefined }> = [];
    const run: CommandRunner = async (file, args, options) => {
      calls.push({ file, args, env: options?.env });
      return { code: 0, stdout: Buffer.from('eject=ok\r\n'), stderr: Buffer.alloc(0) };
    };
    const source = new Win32MediaSource({ run, driveExists: async () => false });
    const [medium] = parseWindowsMedia(output('media-storage-ja.txt')).media;
    const steps = await source.eject(medium!);
    expect(steps).toEqual([expect.objectContaining({ ok: true })]);
    expect(calls[0]!.file).toBe('powershell.exe');
    expect(calls[0]!.args.join(' ')).not.toContain('4C530001230101116172');
    expect(calls[0]!.env).toEqual({ [EJECT_ENV]: 'USB\\VID_0781&PID_5567\\4C530001230101116172' });
    expect(await source.remountReadOnly(medium!)).toEqual([expect.objectContaining({ ok: false, problem: 'not-supported' })]);
  });

  it('a medium without an ejectable id is not handed to PowerShell at all', async () => {
    let called = false;
    const source = new Win32MediaSource({ run: async () => { called = true; throw new Error('no'); }, driveExists: async () => false });
    const [, , memorex] = parseWindowsMedia(output('media-storage-ja.txt')).media;
    expect(memorex!.handle.deviceInstanceId).toBe('USBSTOR\\DISK&VEN_MEMOREX&PROD_USB_FLASH_DRIVE&REV_0000\\608059172314&0');
    const hostile = { ...memorex!, handle: { disk: '9', deviceInstanceId: 'USB\\x y' } };
    expect(await source.eject(hostile)).toEqual([expect.objectContaining({ ok: false, problem: 'not-supported' })]);
    expect(called).toBe(false);
  });

  it('the cheap signature lists the drive letters present', async () => {
    const source = new Win32MediaSource({ driveExists: async (root) => root === 'E:\\' || root === 'G:\\' });
    expect(await source.signature()).toBe('EG');
  });
});
