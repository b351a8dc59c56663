// The protocol between the host's harness and the runner inside the guest: one JSON object per
// line over a TCP connection the guest opens to the host (QEMU's user network forwards 10.0.2.2
// to the host's loopback). Types only: the runner is transpiled on its own and imports nothing
// at run time.

/** Two clocks read at the same instant: CLOCK_MONOTONIC (what udevadm and the kernel stamp) and the wall clock, in ms. */
export interface GuestClock {
  mono: number;
  wall: number;
}

export type Request =
  | { id: number; op: 'exec'; argv: string[]; input?: string; timeoutMs?: number; env?: Record<string, string>; cwd?: string }
  | { id: number; op: 'spawn'; argv: string[]; env?: Record<string, string>; cwd?: string }
  | { id: number; op: 'signal'; pid: number; signal: string }
  | { id: number; op: 'writeFile'; path: string; base64: string; mode?: number }
  | { id: number; op: 'readFile'; path: string }
  | { id: number; op: 'clock' }
  | { id: number; op: 'automount'; enabled: boolean; root?: string };

/** A request before the connection numbers it. */
export type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export type ReplyResult = ExecResult | { pid: number } | { base64: string } | GuestClock | Record<string, never>;

export type Reply = { id: number; ok: true; result: ReplyResult } | { id: number; ok: false; error: string };

/** Something that happened in the guest, pushed without being asked. */
export type GuestEvent =
  | ({ event: 'hello'; node: string; kernel: string } & GuestClock)
  | ({ event: 'line'; pid: number; stream: 'stdout' | 'stderr'; text: string } & GuestClock)
  | ({ event: 'exit'; pid: number; code: number | null; signal: string | null } & GuestClock)
  | ({ event: 'automount'; device: string; dir: string; ok: boolean; error?: string } & GuestClock);

export type FromGuest = Reply | GuestEvent;
