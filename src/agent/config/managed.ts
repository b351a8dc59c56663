import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, posix, win32 } from 'node:path';
import { z } from 'zod';
import type { Platform } from '../../shared/platform.js';
import { checkAdminOnly, systemProbe, type FileProbe } from './admin-only.js';

/**
 * The machine-wide managed configuration: where the collector is, which CA to trust, the
 * enrolment secret. It comes from a file only an administrator can write (put there by the
 * installer or by MDM/GPO), never from a per-user setting or the tray UI. In headless mode
 * (`mamori-agent run --server … --enroll-secret …`, for servers and labs) the command line may
 * give or override each value, and MAMORI_MANAGED_CONFIG may name another file.
 */

/** Environment variable naming another managed config file; honoured in headless mode only. */
export const MANAGED_CONFIG_ENV = 'MAMORI_MANAGED_CONFIG';

/** Largest config or CA file read: both are a few hundred bytes to a few KiB. */
const MAX_FILE_BYTES = 256 * 1024;

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  // Relative paths would depend on the working directory the agent was started in.
  .refine((p) => isAbsolute(p), 'must be an absolute path');

const fields = {
  /** The collector's base URL. https unless allowInsecureHttp. */
  serverUrl: z.url({ protocol: /^https?$/ }).max(2048),
  /** PEM file of the CA to pin (only that CA is then trusted); absent = the OS trust store. */
  caPemPath: absolutePath.optional(),
  /** The enrolment secret printed by `mamori-collector enroll-secret create`. */
  enrollSecret: z.string().min(16).max(256),
  /** Where the agent keeps its identity, acknowledged hashes and policy; absent = the per-OS default. */
  stateDir: absolutePath.optional(),
  /** UI language before the first policy arrives. */
  lang: z.enum(['ja', 'en']).optional(),
  /** Allows plain http:// — only for tests and local labs: the agent key would travel in clear text. */
  allowInsecureHttp: z.boolean().optional(),
};

/** Schema of the managed config file. Unknown keys are refused so that a misspelt key is not silently ignored. */
export const ManagedConfig = z.strictObject(fields).superRefine((config, ctx) => {
  let url: URL;
  try {
    url = new URL(config.serverUrl);
  } catch {
    return; // already reported by z.url()
  }
  if (url.protocol === 'http:' && config.allowInsecureHttp !== true) {
    ctx.addIssue({ code: 'custom', path: ['serverUrl'], message: 'must be an https:// URL (set allowInsecureHttp: true only for tests and local labs)' });
  }
  if (url.username || url.password) ctx.addIssue({ code: 'custom', path: ['serverUrl'], message: 'must not contain a user name or password' });
  if (url.search || url.hash) ctx.addIssue({ code: 'custom', path: ['serverUrl'], message: 'must not contain a query or fragment' });
});
export type ManagedConfig = z.infer<typeof ManagedConfig>;

/** What the file may hold in headless mode, where the command line can fill in the rest. */
const PartialManagedConfig = z.strictObject(fields).partial();

/** Values from the command line (headless mode): each one given replaces the file's. */
export type HeadlessOverrides = Partial<ManagedConfig>;

/** Stable codes for programs and for the i18n catalog (`config.<code>` message keys). */
export type ConfigErrorCode =
  | 'not-found'
  | 'unreadable'
  | 'insecure-file'
  | 'invalid-json'
  | 'invalid'
  | 'ca-unreadable'
  | 'ca-invalid';

export interface ConfigError {
  code: ConfigErrorCode;
  /** The file concerned, when there is one. */
  path: string | null;
  /** Plain-English details for logs (the UI shows the translated message for `code`). */
  details: string;
}

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; error: ConfigError };

/** The configuration the agent runs with. */
export interface AgentConfig {
  serverUrl: string;
  enrollSecret: string;
  stateDir: string;
  lang: 'ja' | 'en' | null;
  allowInsecureHttp: boolean;
  caPemPath: string | null;
  /** The pinned CA's PEM text, read and checked; null = the OS trust store. */
  caPem: string | null;
  /** Where it came from: the file read (null when none) and the keys the command line set. */
  source: { file: string | null; fromCommandLine: Array<keyof ManagedConfig> };
}

export interface LoadConfigOptions {
  /** 'managed' for the tray agent and services; 'headless' lets the command line and MAMORI_MANAGED_CONFIG in. */
  mode: 'managed' | 'headless';
  platform: Platform;
  env: Record<string, string | undefined>;
  /** Command-line values (headless mode only; ignored in managed mode). */
  overrides?: HeadlessOverrides;
  /** Injected by tests; defaults to the real file system and process uid. */
  probe?: FileProbe;
}

function programData(env: Record<string, string | undefined>): string {
  return env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData';
}

/** The managed config file's path on each OS: a place only administrators can write. */
export function defaultManagedConfigPath(platform: Platform, env: Record<string, string | undefined>): string {
  switch (platform) {
    case 'linux':
      return '/etc/mamori/agent.json';
    case 'darwin':
      return '/Library/Application Support/Mamori/agent.json';
    case 'win32':
      return win32.join(programData(env), 'Mamori', 'agent.json');
  }
}

/** The agent's state directory when the config names none. */
export function defaultStateDir(platform: Platform, env: Record<string, string | undefined>): string {
  switch (platform) {
    case 'linux':
      return '/var/lib/mamori';
    case 'darwin':
      return posix.join('/Library/Application Support/Mamori', 'state');
    case 'win32':
      return win32.join(programData(env), 'Mamori', 'state');
  }
}

/** Groups whose members administer the machine: group-writable by them is still admin-only. */
function adminGids(platform: Platform): number[] {
  // macOS: gid 80 is "admin", the group of administrator accounts.
  return platform === 'darwin' ? [0, 80] : [0];
}

function fail<T>(code: ConfigErrorCode, path: string | null, details: string): ConfigResult<T> {
  return { ok: false, error: { code, path, details } };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`)
    .join('; ');
}

type Read = { ok: true; text: string } | { ok: false; missing: boolean; details: string };

async function readSmallText(path: string): Promise<Read> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_FILE_BYTES) return { ok: false, missing: false, details: `larger than ${MAX_FILE_BYTES} bytes` };
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Notepad and some MDM tools write a UTF-8 byte order mark.
    return { ok: true, text: text.replace(/^\uFEFF/, '') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, missing: true, details: 'no such file' };
    if (error instanceof TypeError) return { ok: false, missing: false, details: 'not UTF-8 text' };
    return { ok: false, missing: false, details: (error as Error).message };
  }
}

/** Reads the managed config file: null when it does not exist, the (partial) values otherwise. */
async function readConfigFile(path: string, probe: FileProbe): Promise<ConfigResult<HeadlessOverrides | null>> {
  const read = await readSmallText(path);
  if (!read.ok) return read.missing ? { ok: true, value: null } : fail('unreadable', path, read.details);
  const safe = await checkAdminOnly(path, probe);
  if (!safe.ok) return fail('insecure-file', safe.path, `${safe.path} is ${safe.problem}; a user could redirect the agent`);
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch (error) {
    return fail('invalid-json', path, (error as Error).message);
  }
  const parsed = PartialManagedConfig.safeParse(json);
  if (!parsed.success) return fail('invalid', path, describeIssues(parsed.error));
  return { ok: true, value: parsed.data };
}

/**
 * Reads and checks the pinned CA: an admin-only file holding at least one PEM certificate.
 * Returns the PEM text to hand to the sync client.
 */
export async function loadPinnedCa(path: string, probe: FileProbe): Promise<ConfigResult<string>> {
  const read = await readSmallText(path);
  if (!read.ok) return fail('ca-unreadable', path, read.details);
  const safe = await checkAdminOnly(path, probe);
  if (!safe.ok) return fail('insecure-file', safe.path, `${safe.path} is ${safe.problem}; a user could make the agent trust another server`);
  if (!read.text.includes('-----BEGIN CERTIFICATE-----')) return fail('ca-invalid', path, 'no PEM certificate in the file');
  try {
    new X509Certificate(read.text);
  } catch (error) {
    return fail('ca-invalid', path, (error as Error).message);
  }
  return { ok: true, value: read.text };
}

/**
 * The configuration to run with: the managed file, then (headless mode only) the command line on
 * top, validated as a whole. Never throws; every problem is a ConfigError with a stable code.
 */
export async function loadAgentConfig(options: LoadConfigOptions): Promise<ConfigResult<AgentConfig>> {
  const probe = options.probe ?? systemProbe(adminGids(options.platform));
  const headless = options.mode === 'headless';
  const envPath = headless ? options.env[MANAGED_CONFIG_ENV] : undefined;
  const path = envPath && envPath.length > 0 ? envPath : defaultManagedConfigPath(options.platform, options.env);

  const file = await readConfigFile(path, probe);
  if (!file.ok) return file;
  const overrides = headless ? Object.fromEntries(Object.entries(options.overrides ?? {}).filter(([, v]) => v !== undefined)) : {};
  const fromCommandLine = Object.keys(overrides) as Array<keyof ManagedConfig>;
  if (file.value === null) {
    // A file named explicitly must exist; the default one may be absent when the command line says it all.
    if (envPath || fromCommandLine.length === 0) {
      return fail('not-found', path, headless ? 'no managed config file; give --server and --enroll-secret' : 'no managed config file; the installer puts it there');
    }
  }

  const merged = ManagedConfig.safeParse({ ...(file.value ?? {}), ...overrides });
  if (!merged.success) return fail('invalid', file.value ? path : null, describeIssues(merged.error));
  const config = merged.data;

  let caPem: string | null = null;
  if (config.caPemPath) {
    const ca = await loadPinnedCa(config.caPemPath, probe);
    if (!ca.ok) return ca;
    caPem = ca.value;
  }
  return {
    ok: true,
    value: {
      serverUrl: config.serverUrl,
      enrollSecret: config.enrollSecret,
      stateDir: config.stateDir ?? defaultStateDir(options.platform, options.env),
      lang: config.lang ?? null,
      allowInsecureHttp: config.allowInsecureHttp === true,
      caPemPath: config.caPemPath ?? null,
      caPem,
      source: { file: file.value ? path : null, fromCommandLine },
    },
  };
}
