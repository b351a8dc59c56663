import type { LocalUser as LocalUserSchema, PostureSection, SoftwareItem } from '../../shared/inventory/index.js';
import type { Platform } from '../../shared/platform.js';
import type { z } from 'zod';
import type { CommandRunner } from './exec.js';
import type { ResultCache } from './result-cache.js';

/** What every collector is handed: the way to run commands, and the clock. Tests pass their own. */
export interface CollectContext {
  platform: Platform;
  run: CommandRunner;
  /** Per-command timeout in milliseconds. */
  commandTimeoutMs: number;
  /** The logged-in user's home directory (per-user software, settings). */
  homeDir: string;
  now: () => Date;
  /** Keeps results of expensive checks while their inputs are unchanged; none when absent. */
  cache?: ResultCache;
}

export type Posture = z.infer<typeof PostureSection>;
export type LocalUser = z.infer<typeof LocalUserSchema>;

/** OS identity facts that systeminformation does not give. */
export interface OsDetails {
  domain: string | null;
  workgroup: string | null;
  domainJoined: boolean | null;
  build: string | null;
  installDate: string | null;
  /** The release as the OS names it (Windows DisplayVersion, e.g. 23H2), where systeminformation has only a number. */
  version?: string | null;
}

/**
 * What each OS implements in its own files (`*.win32.ts`, `*.darwin.ts`, `*.linux.ts`); the
 * factory in platform.ts picks one, so no business logic branches on `process.platform`.
 */
export interface PlatformCollectors {
  software(ctx: CollectContext): Promise<SoftwareItem[]>;
  posture(ctx: CollectContext): Promise<Posture>;
  localUsers(ctx: CollectContext): Promise<LocalUser[]>;
  osDetails(ctx: CollectContext): Promise<OsDetails>;
}
