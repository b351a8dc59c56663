import { homedir } from 'node:os';
import { z } from 'zod';
import {
  INVENTORY_SCHEMA_VERSION,
  SECTIONS,
  SECTION_NAMES,
  hashSections,
  type InventoryDocument,
  type InventorySections,
  type SectionError,
  type SectionName,
} from '../shared/inventory/index.js';
import type { Platform } from '../shared/platform.js';
import { runCommand } from './collectors/exec.js';
import { HARDWARE_COLLECTORS } from './collectors/hardware.js';
import { currentPlatform, platformCollectors } from './collectors/platform.js';
import { defaultCacheDir, fileResultCache, noResultCache } from './collectors/result-cache.js';
import type { CollectContext, PlatformCollectors } from './collectors/types.js';
import { TimeoutError, withTimeout } from './timeout.js';
import { AGENT_VERSION } from './version.js';

/** One collector per section; what it returns is validated against the section's schema. */
export type SectionCollector = (ctx: CollectContext) => Promise<unknown>;
export type SectionCollectors = Record<SectionName, SectionCollector>;

/** Something a collector could not fully read, reported with the section instead of failing it. */
export class PartialSectionError extends Error {
  constructor(
    message: string,
    readonly data: unknown,
  ) {
    super(message);
    this.name = 'PartialSectionError';
  }
}

/**
 * The collectors for this OS: hardware through systeminformation, software, posture, local users
 * and domain details through the OS's own collectors.
 */
export function composeCollectors(platform: PlatformCollectors): SectionCollectors {
  return {
    ...HARDWARE_COLLECTORS,
    software: (ctx) => platform.software(ctx),
    posture: (ctx) => platform.posture(ctx),
    os: async (ctx) => {
      const [base, details] = await Promise.all([HARDWARE_COLLECTORS.os(ctx), settle(platform.osDetails(ctx))]);
      if (!details.ok) throw new PartialSectionError(`domain and build: ${details.error.message}`, base);
      return {
        ...base,
        domain: details.value.domain ?? base.domain,
        workgroup: details.value.workgroup ?? base.workgroup,
        domainJoined: details.value.domainJoined ?? base.domainJoined,
        build: details.value.build ?? base.build,
        installDate: details.value.installDate ?? base.installDate,
        version: details.value.version ?? base.version,
      };
    },
    users: async (ctx) => {
      const [base, local] = await Promise.all([HARDWARE_COLLECTORS.users(ctx), settle(platform.localUsers(ctx))]);
      if (!local.ok) throw new PartialSectionError(`local users: ${local.error.message}`, base);
      return { ...base, local: local.value };
    },
  };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };
async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

export interface ScanProgress {
  section: SectionName;
  done: number;
  total: number;
  /** How long this section took, in ms. */
  durationMs: number;
}

export interface ScanOptions {
  /** Sections to collect; all by default. */
  sections?: readonly SectionName[];
  /** Overrides for tests (a recorded-output runner, another platform). */
  context?: Partial<CollectContext>;
  /** Collectors to use instead of this OS's (tests). */
  collectors?: SectionCollectors;
  /** Upper bound for one section, in milliseconds. */
  sectionTimeoutMs?: number;
  /** Called as each section finishes. */
  onProgress?: (progress: ScanProgress) => void;
  /** Recompute expensive checks instead of reusing results whose inputs are unchanged. */
  noCache?: boolean;
}

const DEFAULT_SECTION_TIMEOUT_MS = 30_000;

/**
 * Collects the inventory of this machine. Sections run concurrently; a section that fails, times
 * out or returns data its schema refuses is left out and listed in `errors` — the scan itself
 * only fails when it cannot start. The result always validates against InventoryDocument.
 */
export async function scan(options: ScanOptions = {}): Promise<InventoryDocument> {
  const started = performance.now();
  const platform: Platform = options.context?.platform ?? currentPlatform();
  const ctx: CollectContext = {
    platform,
    run: runCommand,
    commandTimeoutMs: 15_000,
    homeDir: homedir(),
    now: () => new Date(),
    cache: options.noCache ? noResultCache : fileResultCache(defaultCacheDir(process.platform, process.env, homedir())),
    ...options.context,
  };
  const collectors = options.collectors ?? composeCollectors(await platformCollectors(platform));
  const wanted = options.sections ?? SECTION_NAMES;
  const timeoutMs = options.sectionTimeoutMs ?? DEFAULT_SECTION_TIMEOUT_MS;
  const collectedAt = ctx.now();

  const sections: Record<string, unknown> = {};
  const errors: SectionError[] = [];
  let done = 0;
  await Promise.all(
    wanted.map(async (name) => {
      const sectionStarted = performance.now();
      const outcome = await collectSection(name, collectors[name], ctx, timeoutMs);
      if (outcome.data !== undefined) sections[name] = outcome.data;
      if (outcome.error) errors.push(outcome.error);
      const durationMs = Math.round(performance.now() - sectionStarted);
      options.onProgress?.({ section: name, done: ++done, total: wanted.length, durationMs });
    }),
  );

  // Keep the registry's order so that documents read the same on every run.
  const ordered: Record<string, unknown> = {};
  for (const name of SECTION_NAMES) if (name in sections) ordered[name] = sections[name];
  errors.sort((a, b) => SECTION_NAMES.indexOf(a.section) - SECTION_NAMES.indexOf(b.section));
  const inventory = ordered as InventorySections;
  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    agentVersion: AGENT_VERSION,
    platform,
    collectedAt: collectedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    sections: inventory,
    hashes: hashSections(inventory),
    errors,
  };
}

interface SectionOutcome {
  data?: unknown;
  error?: SectionError;
}

async function collectSection(
  name: SectionName,
  collector: SectionCollector,
  ctx: CollectContext,
  timeoutMs: number,
): Promise<SectionOutcome> {
  let raw: unknown;
  let partial: string | undefined;
  try {
    raw = await withTimeout(collector(ctx), timeoutMs, name);
  } catch (error) {
    if (error instanceof PartialSectionError) {
      raw = error.data;
      partial = error.message;
    } else {
      const code = error instanceof TimeoutError || (error as { kind?: string }).kind === 'timeout' ? 'timeout' : 'failed';
      return { error: { section: name, code, message: messageOf(error) } };
    }
  }
  const parsed = SECTIONS[name].schema.safeParse(raw);
  if (!parsed.success) {
    return { error: { section: name, code: 'invalid', message: z.prettifyError(parsed.error).slice(0, 4000) } };
  }
  return {
    data: parsed.data,
    ...(partial ? { error: { section: name, code: 'partial' as const, message: partial.slice(0, 4000) } } : {}),
  };
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 4000);
}
