import { connect, type Socket } from 'node:net';

/** An asynchronous QMP event (DEVICE_DELETED, SHUTDOWN, …) with QEMU's timestamp. */
export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; command: string };

/**
 * A small client of QEMU's machine protocol (QMP) on a unix socket: commands answered in order
 * of their ids, events kept so that a test can wait for one that already arrived.
 */
export class QmpClient {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly events: QmpEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private buffered = '';
  private closed: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => this.fail(new Error('the QMP connection closed')));
    socket.on('error', (error) => this.fail(error));
  }

  /** Connects (retrying while QEMU creates the socket), reads the greeting and leaves capabilities negotiation. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.waitFor((e) => e.event === '__greeting', 5_000);
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`cannot connect to QMP at ${path}: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Runs a QMP command; rejects with QEMU's error description. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  /** Resolves with the first event (already received or still to come) that matches and was not consumed. */
  waitFor(match: (event: QmpEvent) => boolean, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.events.findIndex(match);
        if (index < 0) return false;
        const [event] = this.events.splice(index, 1);
        resolve(event!);
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching QMP event within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(this.closed);
        } else if (check()) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
        }
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      newline = this.buffered.indexOf('\n');
      if (line) this.message(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private message(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      this.pushEvent({ event: '__greeting', data: message, timestamp: { seconds: 0, microseconds: 0 } });
    } else if (typeof message.event === 'string') {
      this.pushEvent(message as unknown as QmpEvent);
    } else if (typeof message.id === 'string') {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if ('error' in message) {
        const error = message.error as { class?: string; desc?: string };
        pending.reject(new Error(`QMP ${pending.command}: ${error.class ?? 'Error'}: ${error.desc ?? JSON.stringify(error)}`));
      } else {
        pending.resolve(message.return);
      }
    }
  }

  private pushEvent(event: QmpEvent): void {
    this.events.push(event);
    // Keep the tail only: a long plug loop must not grow this without bound.
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    for (const waiter of [...this.waiters]) waiter();
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const waiter of [...this.waiters]) waiter();
  }
}
