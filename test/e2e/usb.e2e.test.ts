import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { MediaBlockedPayload, MediaFileWrittenPayload, MediaInsertedPayload, MediaRemovedPayload } from '../../src/shared/media/index.js';
import { GuestAgent } from './harness/agent.js';
import { E2eCollector } from './harness/collector.js';
import { Guest, saveArtifacts } from './harness/guest.js';
import { eventually, mountPointsOf, plugAndWait, unplugAndWait, type ArrivedStick } from './harness/plug.js';
import { createStickImage, type StickSpec } from './harness/sticks.js';
import { UdevMonitor } from './harness/udev.js';

// Issue 4, "Proof on a real kernel": the headless agent runs as root in a Debian guest under QEMU,
// a real collector runs on the host, and emulated USB sticks are hot-plugged through QMP. Every
// assertion is on what the agent logged and what the collector stored.

const image = inject('guestImage');
const skipReason = inject('e2eSkipReason');

/** QEMU's usb-bot always reports 46f4:0001; the serial is what tells our sticks apart. */
const QEMU_VID = '46f4';
const QEMU_PID = '0001';
const keyOf = (serial: string) => `usb:${QEMU_VID}:${QEMU_PID}:${serial.toUpperCase()}`;

const REGISTERED: StickSpec = { id: 'reg', serial: 'MAMORI-REG-0001', vendor: 'Mamori', product: 'Registered', label: 'SOUMU0001', volumeId: '5a0e0001' };
const UNREGISTERED: StickSpec = { id: 'unreg', serial: 'UNREG-7F3A-2291', vendor: 'NoName', product: 'Flash Disk', label: 'PRIVATE', volumeId: '0bad0002' };
const LEDGER_NUMBER = 'USB-0001';
const REQUEST_PURPOSE = 'e2e: 会議資料の持ち出し';
const CYCLES = 20;

describe.skipIf(skipReason !== null)('removable media on a real Linux USB stack (QEMU)', () => {
  let work = '';
  let collector: E2eCollector;
  let guest: Guest;
  let agent: GuestAgent;
  let monitor: UdevMonitor;
  const images = new Map<string, string>();

  /** What to print when a step fails: the agent's last lines, the collector's output, the guest console. */
  async function diagnostics(): Promise<string> {
    return [
      '--- agent (guest) ---', agent?.tail(80) ?? '',
      '--- collector ---', collector?.tail().slice(-4000) ?? '',
      '--- guest console ---', (await guest?.consoleLog())?.slice(-3000) ?? '',
    ].join('\n');
  }

  async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}\n${await diagnostics()}`, { cause: error });
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mamori-e2e-sticks-'));
    for (const spec of [REGISTERED, UNREGISTERED]) {
      const path = join(work, `${spec.id}.img`);
      await createStickImage(path, spec, { 'README.TXT': Buffer.from(`${spec.label}\r\n`) });
      images.set(spec.id, path);
    }
    collector = await E2eCollector.start();
    // The administrator's side before the PC starts, with the collector's own CLI: block mode, the
    // registered stick in the ledger (by serial, usable by anyone on any PC), and a short sync
    // interval so that an approval reaches the agent within seconds.
    await collector.cliOk(['policy', 'schedule', '--sync-interval', '10', '--by', 'e2e-admin']);
    await collector.cliOk(['media', 'mode', 'block', '--by', 'e2e-admin']);
    const registered = JSON.parse(await collector.cliOk([
      'media', 'register', '--serial', REGISTERED.serial!, '--vendor-id', QEMU_VID, '--product-id', QEMU_PID, '--number', LEDGER_NUMBER,
      '--product', 'Mamori Registered', '--department', '総務課', '--owner', '総務 太郎', '--json', '--by', 'e2e-admin',
    ])) as { version: number; entry: { key: string; number: string } };
    expect(registered.entry).toMatchObject({ key: keyOf(REGISTERED.serial!), number: LEDGER_NUMBER, department: '総務課' });
    const { version } = registered;
    expect((await collector.policy()).version).toBe(version);
    const secret = await collector.enrollSecret();
    guest = await Guest.boot({ image: image!, log: (line) => process.stderr.write(`e2e: ${line}\n`) });
    await guest.automount(true);
    monitor = await UdevMonitor.start(guest);
    agent = await GuestAgent.start(guest, collector.guestUrl, secret, ['--media-request', REQUEST_PURPOSE]);
    await step('the agent applies the published policy', () =>
      agent.waitForLog((l) => l.msg === 'removable media: policy applied' && l.version === version && l.mode === 'block', 240_000),
    );
    // The agent watches with the kernel's own notifications (udevadm monitor, findmnt --poll).
    // usb-detection (CI installs libudev-dev, so it is built and loads) is then not started: udev
    // says all it would, and its thread would wake 10 times a second.
    const watching = await step('the agent watches removable media', () => agent.waitForLog((l) => l.msg === 'removable media: watching', 60_000));
    expect(watching.osEvents).toEqual({ devices: true, mounts: true });
    if (process.env.CI) expect(watching.usbEvents).toBe(true);
    expect(watching.usbEventsStarted).toBe(false);
  }, 420_000);

  afterAll(async () => {
    await agent?.stop().catch(() => {});
    // What the run produced, for reading after a failure (times: the guest's CLOCK_MONOTONIC in ms, as in the uevents).
    await saveArtifacts('usb', {
      'agent.log': agent?.process.lines.map((l) => l.text).join('\n') ?? '',
      'agent-timed.log': agent?.process.lines.map((l) => `${l.mono.toFixed(1)} ${l.text}`).join('\n') ?? '',
      'udev-monitor.txt': monitor?.text() ?? '',
      'console.log': (await guest?.consoleLog()) ?? '',
      'collector.log': collector?.tail() ?? '',
      'events.json': JSON.stringify(await collector?.events().catch(() => []), null, 1),
    });
    await guest?.shutdown().catch(() => {});
    await collector?.stop().catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  // A scenario that failed half-way must not leave its stick in for the next one.
  afterEach(async () => {
    if (!guest || guest.plugged.size === 0) return;
    const mounts = (await guest.exec(['findmnt', '-rn', '-o', 'TARGET'])).stdout.split('\n').filter((t) => t.startsWith('/media/e2e/'));
    for (const target of mounts) await guest.exec(['umount', '-l', target]);
    for (const id of [...guest.plugged.keys()]) await guest.unplug(id).catch(() => {});
  });

  /** Copies `content` onto the mounted stick as `name` with cp (as a person would) and flushes it. */
  async function copyOnto(stick: ArrivedStick, mountDir: string, name: string, content: Buffer): Promise<void> {
    const staged = `/e2e/${stick.spec.id}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
    await guest.writeFile(staged, content);
    await guest.execOk(['cp', staged, join(mountDir, name)]);
    await guest.execOk(['sync']);
  }

  /** Waits until the agent's take-out record watches the volume mounted at `mountDir` (a file written earlier could not be seen). */
  async function recordingStarted(mountDir: string): Promise<void> {
    await step(`the agent watches ${mountDir}`, () => eventually('an inotify watch on the volume', () => agent.isWatching(guest, mountDir), (yes) => yes, 20_000, 250));
  }

  it('1. allows a registered stick, and a file copied onto it is recorded with its SHA-256', async () => {
    const from = agent.mark();
    const stick = await step('plugging the registered stick', () => plugAndWait(guest, monitor, REGISTERED, images.get(REGISTERED.id)!, { automount: true }));
    const decided = await step('the agent decides', () => agent.waitForLog((l) => l.msg === 'removable medium decided' && l.key === keyOf(REGISTERED.serial!), 30_000, from));
    expect(decided).toMatchObject({ verdict: 'allowed', reason: 'registered', ledgerNumber: LEDGER_NUMBER });
    await recordingStarted(stick.mountDir!);

    const content = randomBytes(300 * 1024 + 17);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const name = '持ち出し資料_2026.bin';
    await copyOnto(stick, stick.mountDir!, name, content);
    // Still mounted: an allowed stick is left alone.
    expect(await mountPointsOf(guest, stick.volume)).toEqual([stick.mountDir]);

    const written = await step('the collector records the file write', () =>
      collector.waitForEvents('media.file_written', (events) => events.some((e) => e.payload.path === name), 90_000),
    );
    const payload = MediaFileWrittenPayload.parse(written.find((e) => e.payload.path === name)!.payload);
    expect(payload).toMatchObject({ key: keyOf(REGISTERED.serial!), ledgerNumber: LEDGER_NUMBER, sizeBytes: content.length, sha256, hashSkipped: null });
    expect(payload.volume.mountPoint).toBe(stick.mountDir);

    const inserted = (await collector.events('media.inserted')).map((e) => MediaInsertedPayload.parse(e.payload)).filter((p) => p.medium.key === keyOf(REGISTERED.serial!));
    expect(inserted).toHaveLength(1);
    expect(inserted[0]).toMatchObject({
      mode: 'block',
      seen: 'arrived',
      decision: { verdict: 'allowed', reason: 'registered', action: 'allow', ledgerNumber: LEDGER_NUMBER },
      medium: { bus: 'usb', vendorId: QEMU_VID, productId: QEMU_PID, serial: REGISTERED.serial, serialStatus: 'unique' },
    });
    // The identity includes the volume (label, file system, volume serial), not only the USB device.
    const volume = inserted[0]!.medium.volumes.find((v) => v.device === stick.volume);
    expect(volume, `volumes in media.inserted: ${JSON.stringify(inserted[0]!.medium.volumes)}`).toMatchObject({ label: REGISTERED.label, fileSystem: 'vfat', volumeId: REGISTERED.volumeId.toUpperCase() });

    await unplugAndWait(guest, monitor, stick);
    const removed = await step('the collector records the removal', () =>
      collector.waitForEvents('media.removed', (events) => events.some((e) => e.payload.key === keyOf(REGISTERED.serial!)), 60_000),
    );
    expect(MediaRemovedPayload.parse(removed[0]!.payload)).toMatchObject({ key: keyOf(REGISTERED.serial!), ledgerNumber: LEDGER_NUMBER, instance: inserted[0]!.instance });
  });

  it('2. keeps an unregistered stick in block mode from being mounted (held at the decision, a mount undone), and lets it be used after approval', async () => {
    const key = keyOf(UNREGISTERED.serial!);
    const from = agent.mark();
    const stick = await step('plugging the unregistered stick', () => plugAndWait(guest, monitor, UNREGISTERED, images.get(UNREGISTERED.id)!, { automount: true, mayBeRefused: true }));
    const decided = await step('the agent decides', () => agent.waitForLog((l) => l.msg === 'removable medium decided' && l.key === key, 30_000, from));
    expect(decided).toMatchObject({ verdict: 'denied', reason: 'unregistered', action: 'block' });
    // Decided at the kernel's event, before udev had read the file system: held at once, so the
    // desktop's mount that follows is refused by the kernel. (Had the mount come first, the agent
    // would unmount it: the same outcome, checked below either way.)
    const held = await step('the agent holds it', () => agent.waitForLog((l) => l.msg === 'removable medium held' && l.instance === decided.instance && l.ok === true, 15_000, from));
    expect(held).toMatchObject({ ok: true, target: stick.disk });
    if (stick.mountRefused !== null) expect(stick.mountRefused, 'the desktop\'s mount of a held stick').toMatch(/busy/i);

    await step('nothing of it stays mounted', () => eventually('unmounted', () => mountPointsOf(guest, stick.volume), (points) => points.length === 0, 15_000));
    const blocked = await step('the collector records media.blocked', () =>
      collector.waitForEvents('media.blocked', (events) => events.some((e) => {
        const p = MediaBlockedPayload.safeParse(e.payload);
        return p.success && p.data.medium.key === key && p.data.enforced;
      }), 90_000),
    );
    const blockedPayloads = blocked.map((e) => MediaBlockedPayload.parse(e.payload)).filter((p) => p.medium.key === key);
    expect(blockedPayloads.some((p) => p.cause === 'arrival' && p.steps.some((s) => s.step === 'hold' && s.ok && s.target === stick.disk))).toBe(true);
    expect(blockedPayloads.every((p) => p.decision.verdict === 'denied' && p.decision.reason === 'unregistered')).toBe(true);
    // The arrival's event carries the volume, read by udev after the decision.
    expect(blockedPayloads[0]!.medium.volumes.find((v) => v.device === stick.volume)).toMatchObject({ label: UNREGISTERED.label, fileSystem: 'vfat' });

    // Mounted by hand: refused by the kernel while the agent holds it.
    const manual = '/media/e2e/by-hand';
    await guest.execOk(['mkdir', '-p', manual]);
    const byHand = await guest.exec(['mount', stick.volume, manual]);
    expect(byHand.code, `mount by hand: ${byHand.stderr}`).not.toBe(0);
    expect(byHand.stderr).toMatch(/busy/i);
    expect(await mountPointsOf(guest, stick.volume)).toEqual([]);

    // The headless agent answered the prompt with 使用申請; the request reaches the collector.
    const pending = await step('the request reaches the collector', () =>
      eventually('a pending media request', async () => {
        const out = await collector.cliOk(['requests', 'list', '--status', 'pending', '--json']);
        return (JSON.parse(out) as Array<{ id: string; kind: string; reason: string; subject: { medium?: { key?: string } } }>).filter((r) => r.kind === 'media' && r.subject.medium?.key === key);
      }, (list) => list.length > 0, 60_000, 1_000),
    );
    expect(pending).toHaveLength(1);
    expect(pending[0]!.reason).toBe(REQUEST_PURPOSE);

    const approveFrom = agent.mark();
    const decidedOut = await collector.cliOk(['requests', 'decide', pending[0]!.id, '--approve', '--comment', 'e2e', '--by', 'e2e-admin']);
    expect(decidedOut).toMatch(/approved/i);
    const again = await step('the agent re-evaluates the plugged-in stick', () =>
      agent.waitForLog((l) => l.msg === 'removable medium decided again' && l.key === key, 60_000, approveFrom),
    );
    expect(again).toMatchObject({ from: 'denied', to: 'allowed' });
    const approved = await step('the collector records media.approved', () =>
      collector.waitForEvents('media.approved', (events) => events.some((e) => e.payload.key === key), 60_000),
    );
    expect(approved.find((e) => e.payload.key === key)!.payload).toMatchObject({ requestId: pending[0]!.id, verdict: 'allowed' });

    // Now it can be mounted and used, and what is written is recorded.
    await guest.execOk(['mount', '-o', 'rw,nosuid,nodev,shortname=mixed,utf8=1,showexec,flush', stick.volume, manual]);
    await recordingStarted(manual);
    const content = randomBytes(64 * 1024);
    const sha256 = createHash('sha256').update(content).digest('hex');
    await copyOnto(stick, manual, 'approved.dat', content);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await mountPointsOf(guest, stick.volume)).toEqual([manual]);
    const written = await step('the collector records the write after approval', () =>
      collector.waitForEvents('media.file_written', (events) => events.some((e) => e.payload.key === key && e.payload.path === 'approved.dat'), 90_000),
    );
    const payload = MediaFileWrittenPayload.parse(written.find((e) => e.payload.key === key && e.payload.path === 'approved.dat')!.payload);
    expect(payload.sha256).toBe(sha256);
    expect(payload.ledgerNumber).not.toBeNull();
    const policy = await collector.policy();
    expect(policy.media.registered.find((e) => e.key === key)).toMatchObject({ requestId: pending[0]!.id, number: payload.ledgerNumber });

    // The admin revokes the entry while the stick is mounted: the agent unmounts it for real and
    // holds it again (the unmount path on a real kernel, cause "policy").
    const revokeFrom = agent.mark();
    await collector.cliOk(['media', 'revoke', payload.ledgerNumber!, '--by', 'e2e-admin']);
    const revoked = await step('the agent blocks it again after the revocation', () =>
      agent.waitForLog((l) => l.msg === 'removable medium blocked' && l.key === key && l.cause === 'policy', 60_000, revokeFrom),
    );
    expect(revoked).toMatchObject({ enforced: true });
    expect((revoked.steps as Array<{ step: string; ok: boolean }>).map((x) => [x.step, x.ok])).toEqual([['unmount', true], ['hold', true]]);
    expect(await mountPointsOf(guest, stick.volume)).toEqual([]);

    await unplugAndWait(guest, monitor, stick);
    const removed = await step('the collector records the removal', () =>
      collector.waitForEvents('media.removed', (events) => events.some((e) => e.payload.key === key), 60_000),
    );
    expect(removed.filter((e) => e.payload.key === key)).toHaveLength(1);
  });

  it(`3. records every removal, and ${CYCLES} plug/unplug cycles in a row lose no event`, async () => {
    const key = keyOf(REGISTERED.serial!);
    const MEDIA_TYPES = ['media.inserted', 'media.removed', 'media.blocked', 'media.approved', 'request.created'] as const;
    const seenBefore = new Set<string>();
    for (const type of MEDIA_TYPES) for (const e of await collector.events(type)) seenBefore.add(e.id);
    const newEvents = async (type: (typeof MEDIA_TYPES)[number]) => (await collector.events(type)).filter((e) => !seenBefore.has(e.id));

    for (let i = 0; i < CYCLES; i++) {
      // A quick person: plug, wait until the desktop shows it mounted and the agent has seen it,
      // pull it, plug it again as soon as the kernel has let go of it.
      const from = agent.mark();
      const stick = await step(`cycle ${i + 1}: plug`, () => plugAndWait(guest, monitor, REGISTERED, images.get(REGISTERED.id)!, { automount: true }));
      const name = stick.disk.replace('/dev/', '');
      await step(`cycle ${i + 1}: the agent sees the stick`, () =>
        agent.waitForLog((l) => l.msg === 'removable medium decided' && typeof l.instance === 'string' && l.instance.startsWith(`${name}#`), 20_000, from),
      );
      await step(`cycle ${i + 1}: unplug`, () => unplugAndWait(guest, monitor, stick));
    }
    const lastRemoval = agent.mark();
    await step(`the collector records ${CYCLES} insertions and removals`, async () => {
      await eventually('all cycles delivered', async () => [(await newEvents('media.inserted')).length, (await newEvents('media.removed')).length], ([ins, rem]) => ins! >= CYCLES && rem! >= CYCLES, 180_000, 1_000);
      // One more delivered round, so that anything recorded late (a phantom medium) is there too.
      await agent.waitForLog((l) => l.msg === 'round finished' && l.pending === 0 && l.delivered === true, 60_000, lastRemoval);
    });

    const inserted = (await newEvents('media.inserted')).map((e) => ({ event: e, payload: MediaInsertedPayload.parse(e.payload) }));
    const removed = (await newEvents('media.removed')).map((e) => ({ event: e, payload: MediaRemovedPayload.parse(e.payload) }));
    const describeAll = (list: Array<{ payload: { instance: string } & ({ key: string } | { medium: { key: string } }) }>) =>
      list.map((x) => `${x.payload.instance} ${'key' in x.payload ? x.payload.key : x.payload.medium.key}`).join(', ');
    // Exactly one insertion and one removal per plug-in, each with the stick's full identity:
    // no plug-in missed, none seen twice, no half-identified or phantom medium.
    expect(inserted.map((x) => x.payload.medium.key), describeAll(inserted)).toEqual(Array(CYCLES).fill(key));
    expect(removed.map((x) => x.payload.key), describeAll(removed)).toEqual(Array(CYCLES).fill(key));
    expect(new Set(inserted.map((x) => x.payload.instance)).size).toBe(CYCLES);
    expect(inserted.every((x) => x.payload.decision.verdict === 'allowed' && x.payload.decision.ledgerNumber === LEDGER_NUMBER)).toBe(true);
    for (const r of removed) {
      const match = inserted.find((x) => x.payload.instance === r.payload.instance);
      expect(match, `removal of ${r.payload.instance} has its insertion`).toBeDefined();
      expect(Date.parse(r.event.occurredAt)).toBeGreaterThanOrEqual(Date.parse(match!.event.occurredAt));
    }
    // A registered stick is never blocked, and nobody was asked to file a request for it.
    expect((await newEvents('media.blocked')).map((e) => MediaBlockedPayload.parse(e.payload).instance)).toEqual([]);
    expect((await newEvents('request.created')).length).toBe(0);
    // Each insertion carries the whole identity, the volume included (label, file system, volume serial).
    const withoutVolume = inserted.filter((x) => !x.payload.medium.volumes.some((v) => v.label === REGISTERED.label && v.volumeId === REGISTERED.volumeId.toUpperCase()));
    expect(withoutVolume.map((x) => x.payload.instance), 'insertions recorded without the stick\'s volume').toEqual([]);
  });
});
