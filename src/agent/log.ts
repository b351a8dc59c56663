/** Where the agent core writes what it does; the CLI writes JSON lines to stderr, Electron its own log. */
export interface AgentLog {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** JSON lines on a stream (stderr for the headless agent): one object per line, machine-readable. */
export function jsonLinesLog(write: (line: string) => void, now: () => Date = () => new Date()): AgentLog {
  const emit = (level: string) => (message: string, details: Record<string, unknown> = {}) =>
    write(`${JSON.stringify({ time: now().toISOString(), level, msg: message, ...details })}\n`);
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Discards everything (tests). */
export const silentLog: AgentLog = { info: () => {}, warn: () => {}, error: () => {} };
