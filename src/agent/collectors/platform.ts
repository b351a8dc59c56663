import type { Platform } from '../../shared/platform.js';
import type { PlatformCollectors } from './types.js';

/**
 * The collectors for one OS. Each OS's code is loaded only on that OS (and in tests), so the
 * rest of the agent never branches on `process.platform`.
 */
export async function platformCollectors(platform: Platform): Promise<PlatformCollectors> {
  switch (platform) {
    case 'win32':
      return (await import('./platform.win32.js')).win32Collectors;
    case 'darwin':
      return (await import('./platform.darwin.js')).darwinCollectors;
    case 'linux':
      return (await import('./platform.linux.js')).linuxCollectors;
  }
}

/** The platform this process runs on, or an error naming it when Mamori has no collectors for it. */
export function currentPlatform(nodePlatform: string = process.platform): Platform {
  if (nodePlatform === 'win32' || nodePlatform === 'darwin' || nodePlatform === 'linux') return nodePlatform;
  throw new Error(`Mamori's agent does not support ${nodePlatform} (supported: Windows, macOS, Linux)`);
}
