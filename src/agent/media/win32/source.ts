import { stat } from 'node:fs/promises';
import type { EnforcementStep } from '../../../shared/media/events.js';
import { runCommand, type CommandRunner } from '../../collectors/exec.js';
import { decodeOutput, sniffWindowsEncoding } from '../../collectors/text.js';
import { powershellArguments } from '../../collectors/win32/script.js';
import { step, type MediaSource, type Medium } from '../types.js';
import { EJECT_ENV, ejectScript, mediaListScript } from './script.js';
import { isEjectableInstanceId, parseEjectOutput, parseWindowsMedia } from './parse.js';

const POWERSHELL = 'powershell.exe';
const LETTERS = 'DEFGHIJKLMNOPQRSTUVWXYZ';

export interface Win32SourceOptions {
  run?: CommandRunner;
  /** Whether a drive root exists (default: stat). */
  driveExists?: (root: string) => Promise<boolean>;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Removable media on Windows: one PowerShell run lists disks by bus with their USB parents,
 * partitions and volumes; ejecting asks Plug and Play to remove the USB device (what "Safely
 * Remove Hardware" does). Volumes cannot be made read-only without administrator rights, so a
 * read-only registration is enforced by blocking.
 */
export class Win32MediaSource implements MediaSource {
  readonly name = 'win32';
  private readonly run: CommandRunner;
  private readonly driveExists: (root: string) => Promise<boolean>;
  private readonly log: (message: string, details: Record<string, unknown>) => void;

  constructor(options: Win32SourceOptions = {}) {
    this.run = options.run ?? runCommand;
    this.driveExists = options.driveExists ?? (async (root) => stat(root).then(() => true, () => false));
    this.log = options.log ?? (() => {});
  }

  /** Which drive letters exist: 23 stat calls, no process; a new volume almost always brings a letter. */
  async signature(): Promise<string | null> {
    const present = await Promise.all([...LETTERS].map(async (l) => ((await this.driveExists(`${l}:\\`)) ? l : '')));
    return present.join('');
  }

  async list(): Promise<Medium[]> {
    const result = await this.run(POWERSHELL, powershellArguments(mediaListScript()), { timeoutMs: 30_000, maxBytes: 8 * 1024 * 1024 });
    const text = decodeOutput(result.stdout, sniffWindowsEncoding(result.stdout));
    const parsed = parseWindowsMedia(text);
    if (parsed.errors.length > 0) this.log('the Windows media query reported problems', { errors: parsed.errors.slice(0, 5) });
    if (parsed.media.length === 0 && result.code !== 0) throw new Error(`PowerShell exited with ${result.code}`);
    return parsed.media;
  }

  async eject(medium: Medium): Promise<EnforcementStep[]> {
    const id = medium.handle.deviceInstanceId;
    if (id === null || !isEjectableInstanceId(id)) return [step('eject', medium.handle.disk, 'not-supported', 'no device instance id to eject')];
    try {
      const result = await this.run(POWERSHELL, powershellArguments(ejectScript()), { timeoutMs: 30_000, env: { [EJECT_ENV]: id } });
      return [parseEjectOutput(decodeOutput(result.stdout, sniffWindowsEncoding(result.stdout)), id)];
    } catch (error) {
      return [step('eject', id, 'failed', error instanceof Error ? error.message : String(error))];
    }
  }

  /** A volume cannot be unmounted on its own without administrator rights: the device is ejected. */
  unmount(medium: Medium): Promise<EnforcementStep[]> {
    return this.eject(medium);
  }

  async remountReadOnly(medium: Medium): Promise<EnforcementStep[]> {
    return [step('remount-read-only', medium.handle.disk, 'not-supported', 'making a volume read-only needs administrator rights on Windows')];
  }
}
