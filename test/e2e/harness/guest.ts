import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { GuestImage } from '../image/build.js';
import type { ExecResult, FromGuest, GuestClock, GuestEvent, Reply, ReplyResult, RequestBody } from './channel.js';
import { QmpClient } from './qmp.js';
import type { StickSpec } from './sticks.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
const RUNNER_SOURCE = fileURLToPath(new URL('../guest/runner.ts', import.meta.url));

export interface BootOptions {
  image: GuestImage;
  memoryMb?: number;
  /** Seconds to wait for the guest's runner to call in. */
  bootTimeoutSec?: number;
  /** Keep the run folder (console log, shared files) after shutdown, for debugging. */
  keepRunDir?: boolean;
  log?: (line: string) => void;
}

/**
 * Keeps what a run produced (agent log, uevents, console, collector events) in
 * .e2e/last-run/<name>/ (gitignored) for reading after a failure; CI can archive the folder.
 */
export async function saveArtifacts(name: string, files: Record<string, string>): Promise<void> {
  const dir = join(REPO, '.e2e', 'last-run', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
}

/** One line a guest process printed, stamped with the guest's clocks when the runner received it. */
export interface GuestLine extends GuestClock {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A process running in the guest (started with Guest.spawn). */
export class GuestProcess {
  readonly lines: GuestLine[] = [];
  exitStatus: { code: number | null; signal: string | null } | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly pid: number,
    readonly argv: string[],
    private readonly guest: Guest,
  ) {}

  /** Called by the guest connection. */
  push(line: GuestLine): void {
    this.lines.push(line);
    for (const listener of [...this.listeners]) listener();
  }

  exited(code: number | null, signal: string | null): void {
    this.exitStatus = { code, signal };
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves with the first line (from `fromIndex` on) that matches; rejects on timeout or exit. */
  waitForLine(match: (line: GuestLine) => boolean, timeoutMs: number, fromIndex = 0): Promise<GuestLine> {
    return new Promise((resolve, reject) => {
      let next = fromIndex;
      const check = (): boolean => {
        for (; next < this.lines.length; next++) {
          const line = this.lines[next]!;
          if (match(line)) {
            resolve(line);
            return true;
          }
        }
        if (this.exitStatus) {
          reject(new Error(`${this.argv.join(' ')} exited (${JSON.stringify(this.exitStatus)}) before the expected line:\n${this.tail()}`));
          return true;
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no expected line from ${this.argv[0]} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const listener = () => {
        if (check()) {
          clearTimeout(timer);
          this.listeners.delete(listener);
        }
      };
      this.listeners.add(listener);
    });
  }

  /** Resolves when the process has exited. */
  async waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: string | null }> {
    if (this.exitStatus) return this.exitStatus;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.argv.join(' ')} did not exit within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = () => {
        if (!this.exitStatus) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
    return this.exitStatus!;
  }

  signal(signal: NodeJS.Signals): Promise<void> {
    return this.guest.signal(this.pid, signal);
  }

  /** The last lines, for failure messages. */
  tail(count = 40): string {
    return this.lines.slice(-count).map((l) => `[${l.stream}] ${l.text}`).join('\n');
  }
}

/** A USB stick currently plugged into the guest's xHCI controller. */
export interface PluggedStick {
  spec: StickSpec;
  imagePath: string;
  /** Host time (ms) when QEMU acknowledged the attach. */
  pluggedAt: number;
}

/**
 * A booted end-to-end guest: QEMU (TCG, q35, one vCPU, an xHCI controller), the project mounted
 * at its host path through 9p, and a runner inside that executes what the harness asks.
 */
export class Guest {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ReplyResult) => void; reject: (e: Error) => void }>();
  private readonly processes = new Map<number, GuestProcess>();
  private readonly automountListeners = new Set<(event: Extract<GuestEvent, { event: 'automount' }>) => void>();
  readonly automounts: Array<Extract<GuestEvent, { event: 'automount' }>> = [];
  readonly plugged = new Map<string, PluggedStick>();
  private buffered = '';
  private closed = false;
  hello: Extract<GuestEvent, { event: 'hello' }> | null = null;

  private constructor(
    readonly runDir: string,
    private readonly qemu: ChildProcess,
    readonly qmp: QmpClient,
    private readonly socket: Socket,
    private readonly server: Server,
    private readonly options: BootOptions,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => this.connectionLost());
  }

  /** Boots the guest and waits until its runner has called in. */
  static async boot(options: BootOptions): Promise<Guest> {
    const log = options.log ?? (() => {});
    const runDir = await mkdtemp(join(tmpdir(), 'mamori-e2e-'));
    const source = await readFile(RUNNER_SOURCE, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: 'runner.ts',
    });
    await writeFile(join(runDir, 'runner.mjs'), outputText);

    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const connection = new Promise<Socket>((resolve) => server.once('connection', resolve));

    const { image } = options;
    const append = [
      'console=ttyS0',
      'root=/dev/vda',
      'quiet',
      'panic=-1',
      'net.ifnames=0',
      // usb-storage waits a second before scanning a new device; a desktop's stick appears faster.
      'usb-storage.delay_use=0',
      `mamori.runner=10.0.2.2:${port}`,
      `mamori.project=${REPO}`,
    ].join(' ');
    const args = [
      // /dev/kvm here is PVM-backed and a stock kernel hangs under it: TCG, one vCPU (two were slower).
      '-accel', 'tcg',
      '-smp', '1',
      ...(process.env.MAMORI_E2E_CPU ? ['-cpu', process.env.MAMORI_E2E_CPU] : []),
      '-m', String(options.memoryMb ?? 1024),
      '-machine', 'q35',
      '-nodefaults',
      '-display', 'none',
      '-no-reboot',
      '-kernel', image.kernel,
      '-initrd', image.initrd,
      '-append', append,
      // snapshot=on: every boot starts from the pristine image; writes go to a temporary overlay.
      '-drive', `file=${image.rootImage},if=virtio,format=raw,snapshot=on`,
      '-device', 'qemu-xhci,id=xhci',
      '-netdev', 'user,id=n0',
      '-device', 'virtio-net-pci,netdev=n0,romfile=',
      '-virtfs', `local,path=${REPO},mount_tag=project,security_model=none,readonly=on`,
      '-virtfs', `local,path=${runDir},mount_tag=e2e,security_model=none`,
      '-serial', `file:${join(runDir, 'console.log')}`,
      '-qmp', `unix:${join(runDir, 'qmp.sock')},server=on,wait=off`,
    ];
    log(`booting the guest (run folder ${runDir}) …`);
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let qemuErr = '';
    qemu.stderr?.setEncoding('utf8').on('data', (d: string) => (qemuErr = (qemuErr + d).slice(-8192)));
    const exited = once(qemu, 'exit').then(() => {
      throw new Error(`QEMU exited while booting: ${qemuErr}`);
    });
    exited.catch(() => {});
    try {
      const qmp = await Promise.race([QmpClient.connect(join(runDir, 'qmp.sock'), 20_000), exited]);
      const timeoutMs = (options.bootTimeoutSec ?? 120) * 1000;
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the guest did not call in within ${timeoutMs} ms`)), timeoutMs).unref());
      const socket = await Promise.race([connection, exited, timeout]);
      const guest = new Guest(runDir, qemu, qmp, socket, server, options);
      await guest.waitForHello(30_000);
      log(`guest ready: node ${guest.hello?.node}, kernel ${guest.hello?.kernel}`);
      return guest;
    } catch (error) {
      qemu.kill('SIGKILL');
      server.close();
      const consoleLog = await readFile(join(runDir, 'console.log'), 'utf8').catch(() => '');
      throw new Error(`${(error as Error).message}\n--- guest console ---\n${consoleLog.slice(-6000)}`, { cause: error });
    }
  }

  private waitForHello(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const tick = () => {
        if (this.hello) resolve();
        else if (Date.now() > deadline) reject(new Error('the runner did not say hello'));
        else setTimeout(tick, 20);
      };
      tick();
    });
  }

  private request(body: RequestBody): Promise<ReplyResult> {
    if (this.closed) return Promise.reject(new Error('the guest connection is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  /** Runs a command in the guest (no shell) and returns its status and output. */
  async exec(argv: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string>; cwd?: string } = {}): Promise<ExecResult> {
    return (await this.request({ op: 'exec', argv, timeoutMs: options.timeoutMs ?? 60_000, ...options })) as ExecResult;
  }

  /** Like exec, but throws with the output when the command does not exit 0. */
  async execOk(argv: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string>; cwd?: string } = {}): Promise<string> {
    const result = await this.exec(argv, options);
    if (result.code !== 0) throw new Error(`guest: ${argv.join(' ')} exited ${result.code ?? result.signal}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** Starts a background process in the guest; its output arrives line by line. */
  async spawn(argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<GuestProcess> {
    const { pid } = (await this.request({ op: 'spawn', argv, ...options })) as { pid: number };
    // Lines may already have arrived for this pid (they are sent as soon as it starts).
    const existing = this.processes.get(pid);
    const process = new GuestProcess(pid, argv, this);
    if (existing) for (const line of existing.lines) process.push(line);
    if (existing?.exitStatus) process.exited(existing.exitStatus.code, existing.exitStatus.signal);
    this.processes.set(pid, process);
    return process;
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    await this.request({ op: 'signal', pid, signal });
  }

  async writeFile(path: string, content: Buffer | string, mode?: number): Promise<void> {
    await this.request({ op: 'writeFile', path, base64: Buffer.from(content).toString('base64'), ...(mode === undefined ? {} : { mode }) });
  }

  async readFile(path: string): Promise<Buffer> {
    const { base64 } = (await this.request({ op: 'readFile', path })) as { base64: string };
    return Buffer.from(base64, 'base64');
  }

  /** The guest's monotonic and wall clocks, read together. */
  async clock(): Promise<GuestClock> {
    return (await this.request({ op: 'clock' })) as GuestClock;
  }

  /** Turns the modelled desktop auto-mount on or off (USB file systems mounted under `root`). */
  async automount(enabled: boolean, root = '/media/e2e'): Promise<void> {
    await this.request({ op: 'automount', enabled, root });
  }

  /** Resolves with the next auto-mount of `device` (e.g. /dev/sda1), also one that already happened after `since` (host ms). */
  waitForAutomount(match: (event: Extract<GuestEvent, { event: 'automount' }>) => boolean, timeoutMs: number): Promise<Extract<GuestEvent, { event: 'automount' }>> {
    return new Promise((resolve, reject) => {
      const found = this.automounts.find(match);
      if (found) {
        resolve(found);
        return;
      }
      const timer = setTimeout(() => {
        this.automountListeners.delete(listener);
        reject(new Error(`no matching auto-mount within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (event: Extract<GuestEvent, { event: 'automount' }>) => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.automountListeners.delete(listener);
        resolve(event);
      };
      this.automountListeners.add(listener);
    });
  }

  /**
   * Hot-plugs an emulated USB stick (usb-bot with one SCSI disk) backed by the raw image at
   * `imagePath`. The guest sees idVendor:idProduct 46f4:0001 and QEMU's fixed USB strings, the
   * serial, and the SCSI vendor/product of `spec`.
   */
  async plug(spec: StickSpec, imagePath: string): Promise<PluggedStick> {
    const node = `d-${spec.id}`;
    await this.qmp.execute('blockdev-add', { 'node-name': node, driver: 'raw', file: { driver: 'file', filename: imagePath } });
    await this.qmp.execute('device_add', { driver: 'usb-bot', id: spec.id, bus: 'xhci.0', ...(spec.serial === null ? {} : { serial: spec.serial }) });
    await this.qmp.execute('device_add', {
      driver: 'scsi-hd',
      id: `${spec.id}-lun0`,
      bus: `${spec.id}.0`,
      lun: 0,
      drive: node,
      vendor: spec.vendor,
      product: spec.product,
      removable: true,
    });
    // A hot-plugged usb-bot stays detached until its LUNs exist; attaching it is the "plug".
    await this.qmp.execute('qom-set', { path: spec.id, property: 'attached', value: true });
    const stick = { spec, imagePath, pluggedAt: Date.now() };
    this.plugged.set(spec.id, stick);
    return stick;
  }

  /** Pulls the stick out: device_del, wait until QEMU reports it gone, then drop its block node. */
  async unplug(id: string, timeoutMs = 30_000): Promise<void> {
    await this.qmp.execute('device_del', { id });
    await this.qmp.waitFor((e) => e.event === 'DEVICE_DELETED' && e.data.device === id, timeoutMs);
    await this.qmp.execute('blockdev-del', { 'node-name': `d-${id}` });
    this.plugged.delete(id);
  }

  /** The guest's serial console so far (kernel messages, init's notes). */
  async consoleLog(): Promise<string> {
    return readFile(join(this.runDir, 'console.log'), 'utf8').catch(() => '');
  }

  /** Stops QEMU (nothing to flush: the root disk is a snapshot) and removes the run folder. */
  async shutdown(): Promise<void> {
    this.closed = true;
    try {
      await Promise.race([this.qmp.execute('quit'), new Promise((r) => setTimeout(r, 3_000))]);
    } catch {
      // QEMU closes the socket as it quits.
    }
    this.qmp.close();
    if (this.qemu.exitCode === null && this.qemu.signalCode === null) {
      const exited = once(this.qemu, 'exit');
      const timer = setTimeout(() => this.qemu.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    this.socket.destroy();
    this.server.close();
    if (!this.options.keepRunDir) await rm(this.runDir, { recursive: true, force: true });
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      newline = this.buffered.indexOf('\n');
      if (line.trim()) this.message(JSON.parse(line) as FromGuest);
    }
  }

  private message(message: FromGuest): void {
    if ('id' in message) {
      const reply = message as Reply;
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(`guest: ${reply.error}`));
      return;
    }
    switch (message.event) {
      case 'hello':
        this.hello = message;
        break;
      case 'line':
        this.processFor(message.pid).push({ stream: message.stream, text: message.text, mono: message.mono, wall: message.wall });
        break;
      case 'exit':
        this.processFor(message.pid).exited(message.code, message.signal);
        break;
      case 'automount':
        this.automounts.push(message);
        for (const listener of [...this.automountListeners]) listener(message);
        break;
    }
  }

  private processFor(pid: number): GuestProcess {
    let process = this.processes.get(pid);
    if (!process) {
      process = new GuestProcess(pid, ['(starting)'], this);
      this.processes.set(pid, process);
    }
    return process;
  }

  private connectionLost(): void {
    this.closed = true;
    const error = new Error('the guest runner disconnected');
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const process of this.processes.values()) if (!process.exitStatus) process.exited(null, 'disconnected');
  }
}
