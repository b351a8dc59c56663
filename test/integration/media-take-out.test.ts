import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { appendFile, lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../src/agent/log.js';
import { digestFile, type FileIo } from '../../src/agent/media/hash.js';
import { TakeOutRecorder, type WrittenFile } from '../../src/agent/media/take-out.js';
import { tempDirs } from '../helpers/temp-dirs.js';

// The take-out record (持ち出し記録) on real files: fs.watch recursive, the settle delay, SHA-256,
// files still being written, a medium that goes away, and a flood of writes.

const volume = tempDirs('mamori-volume-');
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const waitFor = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function recorder(mountPoint: string, over: Partial<ConstructorParameters<typeof TakeOutRecorder>[0]> = {}) {
  const files: WrittenFile[] = [];
  const dropped: number[] = [];
  const r = new TakeOutRecorder({
    mountPoint,
    hashMaxBytes: 1024 * 1024,
    settleMs: 60,
    log: silentLog,
    onFile: async (f) => void files.push(f),
    onDropped: async (n) => void dropped.push(n),
    ...over,
  });
  expect(r.start()).toBe(true);
  return { r, files, dropped };
}

describe('take-out record on a real directory', () => {
  it('records every file written, in sub-folders too, with size, time and SHA-256', async () => {
    const mount = volume();
    const { r, files } = recorder(mount);
    const report = Buffer.from('令和8年度 予算資料\n'.repeat(100));
    writeFileSync(join(mount, '予算.csv'), report);
    mkdirSync(join(mount, '2026', '12月'), { recursive: true });
    writeFileSync(join(mount, '2026', '12月', 'photo.jpg'), Buffer.alloc(70_000, 7));
    await waitFor(() => files.length >= 2);
    await r.stop();
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(byPath.get('予算.csv')).toMatchObject({ sizeBytes: report.length, sha256: sha(report), skipped: null });
    expect(byPath.get('2026/12月/photo.jpg')).toMatchObject({ sizeBytes: 70_000, sha256: sha(Buffer.alloc(70_000, 7)) });
    expect(new Date(byPath.get('予算.csv')!.modifiedAt!).getTime()).toBe(lstatSync(join(mount, '予算.csv')).mtime.getTime());
    expect(files.some((f) => f.path === '2026' || f.path === '2026/12月')).toBe(false);
  });

  it('records size only above the hash limit', async () => {
    const mount = volume();
    const { r, files } = recorder(mount, { hashMaxBytes: 1000 });
    writeFileSync(join(mount, 'big.iso'), Buffer.alloc(5000, 1));
    await waitFor(() => files.length >= 1);
    await r.stop();
    expect(files[0]).toMatchObject({ path: 'big.iso', sizeBytes: 5000, sha256: null, skipped: 'too-large' });
  });

  it('a file still being written is hashed once it stops changing, with its final content', async () => {
    const mount = volume();
    const { r, files } = recorder(mount, { settleMs: 40, maxRetries: 50, hashMaxBytes: 64 * 1024 * 1024 });
    const path = join(mount, 'copying.bin');
    const chunks: Buffer[] = [];
    for (let i = 0; i < 25; i++) {
      const chunk = Buffer.alloc(256 * 1024, i);
      chunks.push(chunk);
      await appendFile(path, chunk);
      await new Promise((res) => setTimeout(res, 15));
    }
    const final = Buffer.concat(chunks);
    await waitFor(() => files.some((f) => f.sha256 === sha(final)), 10_000);
    await r.stop();
    const last = files.filter((f) => f.path === 'copying.bin').at(-1)!;
    expect(last).toMatchObject({ sizeBytes: final.length, sha256: sha(final), skipped: null });
  });

  it('a rewrite is a new record; a metadata-only event for a file already recorded is not', async () => {
    const mount = volume();
    const { r, files } = recorder(mount);
    writeFileSync(join(mount, 'memo.txt'), 'v1');
    await waitFor(() => files.length === 1);
    execFileSync('chmod', ['600', join(mount, 'memo.txt')]);
    await new Promise((res) => setTimeout(res, 200));
    expect(files).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 20));
    writeFileSync(join(mount, 'memo.txt'), 'version two');
    await waitFor(() => files.length === 2);
    await r.stop();
    expect(files.map((f) => f.sha256)).toEqual([sha('v1'), sha('version two')]);
  });

  it('a file deleted before it settled is not recorded; indexer folders are ignored', async () => {
    const mount = volume();
    const { r, files } = recorder(mount, { settleMs: 150 });
    writeFileSync(join(mount, 'tmp.part'), 'x');
    unlinkSync(join(mount, 'tmp.part'));
    mkdirSync(join(mount, '.Spotlight-V100'));
    writeFileSync(join(mount, '.Spotlight-V100', 'store.db'), 'index');
    writeFileSync(join(mount, 'kept.txt'), 'kept');
    await waitFor(() => files.length >= 1);
    await new Promise((res) => setTimeout(res, 300));
    await r.stop();
    expect(files.map((f) => f.path)).toEqual(['kept.txt']);
  });

  it('a flood of writes stays bounded: what does not fit is counted as dropped, nothing is lost silently', async () => {
    const mount = volume();
    const { r, files, dropped } = recorder(mount, { maxPending: 20, settleMs: 200 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => writeFile(join(mount, `f${i}.txt`), `file ${i}`)));
    await waitFor(() => files.length >= 20);
    await r.stop();
    expect(r.backlog()).toBe(0);
    expect(files.length + dropped.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    expect(files.length).toBeLessThanOrEqual(40);
  });

  it('a medium pulled out while files were pending: each pending file still gets an event, marked volume-gone', async () => {
    const mount = volume();
    const { r, files } = recorder(mount, { settleMs: 10_000 });
    writeFileSync(join(mount, 'a.docx'), 'a');
    writeFileSync(join(mount, 'b.xlsx'), 'b');
    await waitFor(() => r.backlog() === 2);
    rmSync(mount, { recursive: true, force: true });
    await r.stop({ volumeGone: true });
    expect(files.map((f) => [f.path, f.skipped, f.sha256]).sort()).toEqual([['a.docx', 'volume-gone', null], ['b.xlsx', 'volume-gone', null]]);
  });
});

describe('digestFile', () => {
  it('a read error that means the medium is gone (EIO) mid-hash gives size and time, no hash', async () => {
    const mount = volume();
    const path = join(mount, 'x.bin');
    writeFileSync(path, Buffer.alloc(3 * 1024 * 1024, 1));
    const io: FileIo = {
      lstat,
      createReadStream: ((p: string) => {
        let sent = 0;
        return new Readable({
          read() {
            if (sent++ === 0) this.push(Buffer.alloc(1024 * 1024, 1));
            else this.destroy(Object.assign(new Error(`EIO: i/o error, read ${p}`), { code: 'EIO' }));
          },
        });
      }) as unknown as FileIo['createReadStream'],
    };
    expect(await digestFile(path, 10 * 1024 * 1024, io)).toMatchObject({ sizeBytes: 3 * 1024 * 1024, sha256: null, skipped: 'volume-gone' });
  });

  it('a file that grows while it is read is not given a wrong hash', async () => {
    const mount = volume();
    const path = join(mount, 'growing.log');
    writeFileSync(path, 'start\n');
    const io: FileIo = {
      lstat,
      createReadStream: ((p: string, o: object) => {
        const s = createReadStream(p, o);
        s.once('data', () => writeFileSync(p, 'start\nand more lines written meanwhile\n'));
        return s;
      }) as unknown as FileIo['createReadStream'],
    };
    const digest = await digestFile(path, 1024, io);
    expect(digest).toMatchObject({ sha256: null, skipped: 'changed-while-hashing' });
  });

  it('a directory, a link and a missing file are not files', async () => {
    const mount = volume();
    writeFileSync(join(mount, 'target'), 't');
    execFileSync('ln', ['-s', 'target', join(mount, 'link')]);
    expect(await digestFile(mount, 100)).toBeNull();
    expect(await digestFile(join(mount, 'link'), 100)).toBeNull();
    expect(await digestFile(join(mount, 'missing'), 100)).toBeNull();
  });
});
