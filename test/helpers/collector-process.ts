import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

// A real `mamori-collector serve` process (through tsx, as a developer runs it), in its own
// process group so that stopping it also stops tsx's node child.

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface CollectorProcess {
  url: string;
  pid: number;
  /** The last 16 KiB of its stdout and stderr, for failure messages. */
  output(): string;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `serve` with `args` (e.g. ['--database', url]) on a free port and waits until /healthz answers. */
export async function startCollectorProcess(args: string[], timeoutMs = 45_000): Promise<CollectorProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn('npx', ['tsx', 'src/collector/cli.ts', 'serve', ...args, '--port', String(port), '--log-level', 'warn'], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const running: CollectorProcess = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    output: () => output,
    async stop(graceMs = 5_000) {
      if (exited || child.pid === undefined) return;
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      // tsx's node child may outlive npx for a moment: make sure the whole group is gone.
      signalGroup(child.pid, 'SIGKILL');
    },
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the collector process exited before serving:\n${output}`);
    try {
      const reply = await fetch(`${running.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (reply.ok) return running;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  await running.stop();
  throw new Error(`the collector process did not answer /healthz within ${timeoutMs} ms:\n${output}`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
