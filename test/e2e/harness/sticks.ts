import { execFile } from 'node:child_process';
import { open, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the guest will see of an emulated USB stick. */
export interface StickSpec {
  /** QEMU device id; also names the block node. Letters, digits, '-' and '_'. */
  id: string;
  /** USB serial number (iSerial), the ledger's key; null: the device reports none. */
  serial: string | null;
  /** SCSI vendor (up to 8 characters) and product (up to 16): what lsblk shows as VENDOR/MODEL. */
  vendor: string;
  product: string;
  /** FAT volume label (up to 11 characters) and volume serial (8 hex digits). */
  label: string;
  volumeId: string;
  sizeMiB?: number;
  /** An MBR with one FAT partition (as sticks are sold); false = a file system on the whole disk. */
  partitioned?: boolean;
}

const SECTOR = 512;
const PARTITION_START = 2048;

/**
 * An MBR with one primary partition of `type` from sector 2048 to the end, as fdisk writes it
 * for a new stick. CHS fields hold the "beyond 8 GiB" marker; everything uses the LBA fields.
 */
export function masterBootRecord(totalSectors: number, type: number, diskId: number): Buffer {
  const mbr = Buffer.alloc(SECTOR);
  mbr.writeUInt32LE(diskId >>> 0, 0x1b8);
  const entry = 0x1be;
  mbr[entry] = 0x00;
  mbr.set([0xfe, 0xff, 0xff], entry + 1);
  mbr[entry + 4] = type;
  mbr.set([0xfe, 0xff, 0xff], entry + 5);
  mbr.writeUInt32LE(PARTITION_START, entry + 8);
  mbr.writeUInt32LE(totalSectors - PARTITION_START, entry + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}

/** Creates the stick's raw image at `path`: partition table, FAT file system, and `files` copied onto it. */
export async function createStickImage(path: string, spec: StickSpec, files: Record<string, Buffer> = {}): Promise<void> {
  const sizeMiB = spec.sizeMiB ?? 64;
  const totalSectors = (sizeMiB * 1024 * 1024) / SECTOR;
  await writeFile(path, Buffer.alloc(0));
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(sizeMiB * 1024 * 1024);
    if (spec.partitioned !== false) {
      // 0x0c: FAT32 with LBA, what a stick formatted on Windows carries; mkfs picks FAT16 for
      // small sizes, which Linux mounts the same way.
      await handle.write(masterBootRecord(totalSectors, 0x0c, Number.parseInt(spec.volumeId, 16)), 0, SECTOR, 0);
    }
  } finally {
    await handle.close();
  }
  const offset = spec.partitioned === false ? 0 : PARTITION_START;
  const fsKiB = ((totalSectors - offset) * SECTOR) / 1024;
  await run('mkfs.vfat', ['--offset', String(offset), '-n', spec.label, '-i', spec.volumeId, path, String(fsKiB)]);
  for (const [name, content] of Object.entries(files)) {
    const local = `${path}.${name.replace(/[^A-Za-z0-9._-]/g, '_')}.tmp`;
    await writeFile(local, content);
    try {
      await run('mcopy', ['-i', `${path}@@${offset * SECTOR}`, local, `::${name}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    } finally {
      await rm(local, { force: true });
    }
  }
}
