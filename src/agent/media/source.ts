import type { Platform } from '../../shared/platform.js';
import type { AgentLog } from '../log.js';
import type { MediaSource } from './types.js';

/**
 * The media source for one OS. Each OS's code is loaded only on that OS (and in tests), so the
 * media service never branches on the platform.
 */
export async function mediaSourceFor(platform: Platform, log: AgentLog): Promise<MediaSource> {
  switch (platform) {
    case 'linux':
      return new (await import('./linux/source.js')).LinuxMediaSource({ live: { log: (level, message, details) => log[level](message, details) } });
    case 'win32':
      return new (await import('./win32/source.js')).Win32MediaSource({ log: (message, details) => log.warn(message, details) });
    case 'darwin':
      return new (await import('./darwin/source.js')).DarwinMediaSource();
  }
}
