// Runs inside the end-to-end guest as a child of its PID 1 (see ../image/guest-init.sh), as
// root. It connects to the host's harness and carries out what the harness asks: run a command,
// start a background process and stream its output line by line (each line stamped with the
// guest's clocks when it arrived), read and write files, and model a desktop's auto-mount.
// Transpiled to plain JavaScript by the harness (../harness/guest.ts): Node built-ins only.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { release } from 'node:os';
import { basename, join } from 'node:path';
import type { ExecResult, FromGuest, GuestClock, ReplyResult, Request } from '../harness/channel.js';

const [host = '10.0.2.2', port = '0'] = process.argv.slice(2);
const socket = connect({ host, port: Number(port) });
socket.setNoDelay(true);

function clock(): GuestClock {
  return { mono: Number(process.hrtime.bigint()) / 1e6, wall: Date.now() };
}

function send(message: FromGuest): void {
  socket.write(`${JSON.stringify(message)}\n`);
}

const children = new Map<number, ChildProcess>();

/** Splits a stream into lines and reports each one with the time it arrived. */
function forwardLines(pid: number, stream: 'stdout' | 'stderr', source: NodeJS.ReadableStream | null): void {
  if (!source) return;
  let pending = '';
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    const now = clock();
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      send({ event: 'line', pid, stream, text, ...now });
      newline = pending.indexOf('\n');
    }
  });
  source.on('end', () => {
    if (pending) send({ event: 'line', pid, stream, text: pending, ...clock() });
  });
}

function exec(request: Extract<Request, { op: 'exec' }>): Promise<ExecResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(request.argv[0]!, request.argv.slice(1), {
      cwd: request.cwd ?? '/',
      env: { ...process.env, ...request.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {});
    child.stdin.end(request.input ?? '');
    const timer = request.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), request.timeoutMs) : null;
    const finish = (code: number | null, signal: string | null, extra = '') => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr: stderr + extra, ms: performance.now() - started });
    };
    child.on('error', (error) => finish(127, null, String(error)));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function startProcess(request: Extract<Request, { op: 'spawn' }>): number {
  const child = spawn(request.argv[0]!, request.argv.slice(1), {
    cwd: request.cwd ?? '/',
    env: { ...process.env, ...request.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${request.argv[0]}`);
  children.set(pid, child);
  forwardLines(pid, 'stdout', child.stdout);
  forwardLines(pid, 'stderr', child.stderr);
  child.on('close', (code, signal) => {
    children.delete(pid);
    send({ event: 'exit', pid, code, signal, ...clock() });
  });
  return pid;
}

/** udisks2's defaults for FAT (its mount_options.conf), as a GNOME or KDE desktop mounts a stick. */
const MOUNT_OPTIONS = 'rw,nosuid,nodev,shortname=mixed,utf8=1,showexec,flush';

/**
 * A desktop's auto-mount, modelled: udisks2 and the file manager mount a USB file system as soon
 * as udev has announced it. Here: every udev `add` of a USB block device carrying a file system is
 * mounted under `root`/<kernel name>.
 */
class AutoMounter {
  private monitor: ChildProcess | null = null;
  private block: Record<string, string> = {};

  start(root: string): void {
    if (this.monitor) return;
    mkdirSync(root, { recursive: true });
    const child = spawn('udevadm', ['monitor', '--udev', '--subsystem-match=block', '--property'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.monitor = child;
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        this.line(pending.slice(0, newline), root);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
  }

  stop(): void {
    this.monitor?.kill('SIGTERM');
    this.monitor = null;
  }

  private line(text: string, root: string): void {
    if (text.trim() !== '') {
      const eq = text.indexOf('=');
      if (eq > 0 && !text.startsWith('UDEV')) this.block[text.slice(0, eq)] = text.slice(eq + 1);
      return;
    }
    const props = this.block;
    this.block = {};
    if (props.ACTION !== 'add' || props.ID_BUS !== 'usb' || !props.ID_FS_TYPE || !props.DEVNAME) return;
    const device = props.DEVNAME;
    const dir = join(root, basename(device));
    mkdirSync(dir, { recursive: true });
    void exec({ id: 0, op: 'exec', argv: ['mount', '-o', MOUNT_OPTIONS, device, dir], timeoutMs: 30_000 }).then((r) => {
      send({ event: 'automount', device, dir, ok: r.code === 0, ...(r.code === 0 ? {} : { error: r.stderr.trim() }), ...clock() });
    });
  }
}

const automounter = new AutoMounter();

async function handle(request: Request): Promise<ReplyResult> {
  switch (request.op) {
    case 'exec':
      return exec(request);
    case 'spawn':
      return { pid: startProcess(request) };
    case 'signal': {
      const child = children.get(request.pid);
      if (child) child.kill(request.signal as NodeJS.Signals);
      else process.kill(request.pid, request.signal as NodeJS.Signals);
      return {};
    }
    case 'writeFile':
      writeFileSync(request.path, Buffer.from(request.base64, 'base64'), { mode: request.mode ?? 0o644 });
      return {};
    case 'readFile':
      return { base64: readFileSync(request.path).toString('base64') };
    case 'clock':
      return clock();
    case 'automount':
      if (request.enabled) automounter.start(request.root ?? '/media/e2e');
      else automounter.stop();
      return {};
  }
}

let buffered = '';
socket.setEncoding('utf8');
socket.on('connect', () => send({ event: 'hello', node: process.version, kernel: release(), ...clock() }));
socket.on('data', (chunk: string) => {
  buffered += chunk;
  let newline = buffered.indexOf('\n');
  while (newline >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    newline = buffered.indexOf('\n');
    const request = JSON.parse(line) as Request;
    handle(request).then(
      (result) => send({ id: request.id, ok: true, result }),
      (error: unknown) => send({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  }
});
socket.on('close', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});
socket.on('error', (error) => {
  process.stderr.write(`runner: ${error.message}\n`);
  process.exit(1);
});
