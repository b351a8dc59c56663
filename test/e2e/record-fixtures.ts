// Records what a real Linux kernel, udev and util-linux say about an emulated USB stick, for the
// removable-media parsers' tests: boots the end-to-end guest, plugs two sticks (one partitioned
// with a serial, one without a partition table or a serial), and writes each tool's output to
// test/fixtures/media/linux-qemu/<stick>/. Run as root: `npx tsx test/e2e/record-fixtures.ts`
// (it builds dist/ first: the sysfs reads are recorded through the agent's own reader).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FINDMNT_POLL_ARGS } from '../../src/agent/media/linux/findmnt.js';
import { UDEVADM_MONITOR_ARGS } from '../../src/agent/media/linux/live.js';
import { ensureGuestImage } from './image/build.js';
import { Guest, REPO } from './harness/guest.js';
import { createStickImage, type StickSpec } from './harness/sticks.js';
import { UdevMonitor } from './harness/udev.js';

const OUT = join(REPO, 'test/fixtures/media/linux-qemu');

/** The column sets the agent's lsblk reader tries, newest util-linux first (src/agent/media/linux/lsblk.ts at recording time). */
const LSBLK_COLUMN_SETS: Record<string, string[]> = {
  'lsblk-json-mountpoints': ['-J', '-b', '-o', 'NAME,PATH,TYPE,RM,HOTPLUG,TRAN,SERIAL,VENDOR,MODEL,LABEL,FSTYPE,UUID,SIZE,RO,MOUNTPOINTS'],
  'lsblk-json-mountpoint': ['-J', '-b', '-o', 'NAME,PATH,TYPE,RM,HOTPLUG,TRAN,SERIAL,VENDOR,MODEL,LABEL,FSTYPE,UUID,SIZE,RO,MOUNTPOINT'],
  'lsblk-pairs': ['-P', '-b', '-o', 'NAME,PKNAME,TYPE,RM,HOTPLUG,TRAN,SERIAL,VENDOR,MODEL,LABEL,FSTYPE,UUID,SIZE,RO,MOUNTPOINT'],
  'lsblk-json-all': ['-J', '-b', '-O'],
};

const STICKS: Array<{ folder: string; spec: StickSpec }> = [
  {
    folder: 'stick-partitioned',
    spec: { id: 'rec1', serial: 'MAMORI-E2E-0001', vendor: 'Mamori', product: 'E2E Stick', label: 'E2ESTICK', volumeId: '1a2b3c4d', sizeMiB: 64 },
  },
  {
    folder: 'stick-superfloppy-no-serial',
    spec: { id: 'rec2', serial: null, vendor: 'Generic', product: 'Flash Disk', label: 'NO SERIAL', volumeId: 'cafe0042', sizeMiB: 32, partitioned: false },
  },
];

/** The sysfs files the agent reads for a disk: its own attributes and those of the USB device above it. */
async function sysfsSnapshot(guest: Guest, disk: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const real = (await guest.execOk(['readlink', '-f', `/sys/class/block/${disk}`])).trim();
  files[`realpath /sys/class/block/${disk}`] = real;
  for (const name of ['diskseq', 'size', 'removable', 'ro', 'device/vendor', 'device/model', 'device/rev']) {
    const r = await guest.exec(['cat', `${real}/${name}`]);
    if (r.code === 0) files[`${real}/${name}`] = r.stdout;
  }
  let dir = real;
  while (dir.startsWith('/sys/devices/') && dir.split('/').length > 3) {
    const r = await guest.exec(['cat', `${dir}/idVendor`]);
    if (r.code === 0) {
      for (const name of ['idVendor', 'idProduct', 'serial', 'manufacturer', 'product', 'bcdDevice', 'busnum', 'devnum', 'speed', 'removable']) {
        const a = await guest.exec(['cat', `${dir}/${name}`]);
        files[`${dir}/${name}`] = a.code === 0 ? a.stdout : `(absent: ${a.stderr.trim()})`;
      }
      break;
    }
    dir = dir.slice(0, dir.lastIndexOf('/'));
  }
  return files;
}

/** A script the guest runs with the project's usb-detection: find() before, then every add/remove as one JSON line. */
const USB_DETECTION_SCRIPT = `
const detection = require(process.argv[1]);
detection.startMonitoring();
detection.find().then((list) => console.log(JSON.stringify({ find: list })));
detection.on('add', (d) => console.log(JSON.stringify({ add: d })));
detection.on('remove', (d) => console.log(JSON.stringify({ remove: d })));
process.on('SIGTERM', () => { detection.stopMonitoring(); process.exit(0); });
`;

/**
 * Runs the agent's own sysfs reader (dist/) in the guest through a recording proxy: every
 * realpath, readFile and readdir the live lister makes for the block devices present, with its
 * answer (or the error code), as one JSON object. Tests replay it as a SysfsReader.
 */
const SYSFS_SCRIPT = `
const [sysfsJs] = process.argv.slice(1);
import(sysfsJs).then(async (m) => {
  const rec = {};
  const note = (key, p) => p.then((v) => { rec[key] = v; return v; }, (e) => { rec[key] = { error: e.code || String(e) }; throw e; });
  const fs = {
    realpath: (p) => note('realpath ' + p, m.realSysfs.realpath(p)),
    readFile: (p) => note(p, m.realSysfs.readFile(p)),
    readdir: (p) => note('readdir ' + p, m.realSysfs.readdir(p).then((l) => l.sort())),
  };
  for (const name of await m.blockDiskNames(fs)) {
    await m.blockNodeFromSysfs(name, fs);
    await m.usbIdentityFromSysfs(name, fs);
    await m.mmcInfoFromSysfs(name, fs);
  }
  const sorted = {};
  for (const key of Object.keys(rec).sort()) sorted[key] = rec[key];
  console.log(JSON.stringify(sorted, null, 1));
});
`;

const SI_SCRIPT = `
const si = require(process.argv[1]);
Promise.all([si.blockDevices(), si.usb()]).then(([blockDevices, usb]) => console.log(JSON.stringify({ blockDevices, usb }, null, 2)));
`;

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
  const image = await ensureGuestImage();
  const work = await mkdtemp(join(tmpdir(), 'mamori-fixtures-'));
  const guest = await Guest.boot({ image, log: (l) => process.stderr.write(`${l}\n`) });
  const notes: string[] = [];
  try {
    const versions = {
      kernel: (await guest.execOk(['uname', '-r'])).trim(),
      udev: (await guest.execOk(['udevadm', '--version'])).trim(),
      utilLinux: (await guest.execOk(['lsblk', '--version'])).trim(),
      debian: (await guest.execOk(['cat', '/etc/debian_version'])).trim(),
    };
    notes.push(`guest: Debian ${versions.debian}, kernel ${versions.kernel}, udev ${versions.udev}, ${versions.utilLinux}`);
    await mkdir(join(OUT, 'no-media'), { recursive: true });
    for (const [name, args] of Object.entries(LSBLK_COLUMN_SETS)) {
      await writeFile(join(OUT, 'no-media', `${name}.${name.includes('pairs') ? 'txt' : 'json'}`), await guest.execOk(['lsblk', ...args]));
    }

    const detection = await guest.spawn(['node', '-e', USB_DETECTION_SCRIPT, `${REPO}/node_modules/usb-detection`]);
    await detection.waitForLine((l) => l.text.startsWith('{"find"'), 60_000).catch(() => null);
    await guest.automount(true);

    for (const { folder, spec } of STICKS) {
      const dir = join(OUT, folder);
      await mkdir(dir, { recursive: true });
      const imagePath = join(work, `${spec.id}.img`);
      await createStickImage(imagePath, spec, { 'README.TXT': Buffer.from('Mamori e2e fixture stick\r\n') });
      const monitor = await UdevMonitor.start(guest, ['block', 'usb', 'scsi']);
      // Exactly what the agent's live watchers run (src/agent/media/linux/live.ts), in the C locale as they do.
      const agentMonitor = await guest.spawn(['udevadm', ...UDEVADM_MONITOR_ARGS], { env: { LC_ALL: 'C', LANG: 'C' } });
      await agentMonitor.waitForLine((l) => l.text.startsWith('UDEV - the event'), 30_000);
      const mountPoll = await guest.spawn(['findmnt', ...FINDMNT_POLL_ARGS], { env: { LC_ALL: 'C', LANG: 'C' } });
      const detectionFrom = detection.lines.length;
      await guest.plug(spec, imagePath);
      const diskAdd = await monitor.waitFor((e) => e.source === 'UDEV' && e.action === 'add' && e.subsystem === 'block' && e.properties.DEVTYPE === 'disk', 30_000);
      const disk = diskAdd.properties.DEVNAME!.replace('/dev/', '');
      const volume = spec.partitioned === false ? disk : `${disk}1`;
      await guest.waitForAutomount((e) => e.device === `/dev/${volume}`, 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      await writeFile(join(dir, 'udev-monitor-plug.txt'), `${monitor.text()}\n`);

      for (const [name, args] of Object.entries(LSBLK_COLUMN_SETS)) {
        await writeFile(join(dir, `${name}.${name.includes('pairs') ? 'txt' : 'json'}`), await guest.execOk(['lsblk', ...args]));
      }
      await writeFile(join(dir, `udevadm-property-${disk}.txt`), await guest.execOk(['udevadm', 'info', '--query=property', `--name=/dev/${disk}`]));
      if (volume !== disk) await writeFile(join(dir, `udevadm-property-${volume}.txt`), await guest.execOk(['udevadm', 'info', '--query=property', `--name=/dev/${volume}`]));
      await writeFile(join(dir, `udevadm-attribute-walk-${disk}.txt`), await guest.execOk(['udevadm', 'info', '--attribute-walk', `--name=/dev/${disk}`]));
      await writeFile(join(dir, 'sysfs.json'), `${JSON.stringify(await sysfsSnapshot(guest, disk), null, 2)}\n`);
      await writeFile(join(dir, 'mountinfo.txt'), await guest.execOk(['cat', '/proc/self/mountinfo']));
      await writeFile(join(dir, 'sysfs-tree.json'), await guest.execOk(['node', '-e', SYSFS_SCRIPT, `${REPO}/dist/src/agent/media/linux/sysfs.js`], { timeoutMs: 120_000 }));

      const si = await guest.exec(['node', '-e', SI_SCRIPT, `${REPO}/node_modules/systeminformation`], { timeoutMs: 120_000 });
      if (si.code === 0) await writeFile(join(dir, 'systeminformation.json'), si.stdout);

      await guest.execOk(['umount', `/media/e2e/${volume}`]);
      // Mounted by hand at a path with a space and Japanese (findmnt escapes them), then off again.
      const byHand = '/media/e2e/総務 課';
      await guest.execOk(['mkdir', '-p', byHand]);
      await guest.execOk(['mount', '-o', 'ro', `/dev/${volume}`, byHand]);
      await guest.execOk(['umount', byHand]);
      await writeFile(join(dir, 'lsblk-json-mountpoints-unmounted.json'), await guest.execOk(['lsblk', ...LSBLK_COLUMN_SETS['lsblk-json-mountpoints']!]));
      const unplugFrom = monitor.process.lines.length;
      await guest.unplug(spec.id);
      await monitor.waitFor((e) => e.source === 'UDEV' && e.action === 'remove' && e.subsystem === 'usb' && e.properties.DEVTYPE === 'usb_device', 30_000);
      await new Promise((r) => setTimeout(r, 1000));
      await writeFile(join(dir, 'udev-monitor-unplug.txt'), `${monitor.process.lines.slice(unplugFrom).map((l) => l.text).join('\n')}\n`);
      await monitor.stop();
      await writeFile(join(dir, 'udev-monitor-block.txt'), `${agentMonitor.lines.filter((l) => l.stream === 'stdout').map((l) => l.text).join('\n')}\n`);
      await writeFile(join(dir, 'findmnt-poll.txt'), `${mountPoll.lines.filter((l) => l.stream === 'stdout').map((l) => l.text).join('\n')}\n`);
      await agentMonitor.signal('SIGTERM');
      await mountPoll.signal('SIGTERM');
      const events = detection.lines.slice(detectionFrom).map((l) => l.text).filter((t) => t.startsWith('{'));
      if (events.length > 0) await writeFile(join(dir, 'usb-detection.jsonl'), `${events.join('\n')}\n`);
      process.stderr.write(`recorded ${folder}\n`);
    }
    const found = detection.lines.find((l) => l.text.startsWith('{"find"'));
    if (found) await writeFile(join(OUT, 'no-media', 'usb-detection-find.json'), `${found.text}\n`);
    // Without usb-detection in node_modules (an optional dependency) the script has ended already.
    if (!detection.exitStatus) await detection.signal('SIGTERM');
    const qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
    await writeFile(join(OUT, 'versions.json'), `${JSON.stringify({ ...versions, qemu, recordedAt: new Date().toISOString() }, null, 2)}\n`);
    process.stderr.write(`${notes.join('\n')}\n`);
  } finally {
    await guest.shutdown();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
