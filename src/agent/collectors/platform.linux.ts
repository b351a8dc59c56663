import { nodeFileReader, type FileReader } from './linux/files.js';
import { collectLocalUsers } from './linux/users.js';
import { collectOsDetails } from './linux/os.js';
import { collectLinuxPosture } from './linux/posture.js';
import { unixSocketSnapdClient, type SnapdClient } from './linux/snap.js';
import { collectLinuxSoftware } from './linux/software.js';
import type { PlatformCollectors } from './types.js';

/** What the Linux collectors read besides commands: files, and snapd's socket. */
export interface LinuxCollectorDeps {
  files: FileReader;
  snapd: SnapdClient;
}

/** The Linux collectors over the given file reader and snapd client (tests pass recorded ones). */
export function createLinuxCollectors(deps: LinuxCollectorDeps): PlatformCollectors {
  return {
    software: (ctx) => collectLinuxSoftware(ctx, deps),
    posture: (ctx) => collectLinuxPosture(ctx, deps.files),
    localUsers: () => collectLocalUsers(deps.files),
    osDetails: (ctx) => collectOsDetails(ctx),
  };
}

/** The Linux collectors on the real machine, run as the logged-in user. */
export const linuxCollectors: PlatformCollectors = createLinuxCollectors({
  files: nodeFileReader,
  snapd: unixSocketSnapdClient(),
});
