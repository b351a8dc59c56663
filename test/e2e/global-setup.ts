import type { TestProject } from 'vitest/node';
import { ensureGuestImage, type GuestImage } from './image/build.js';
import { missingPrerequisites } from './harness/prerequisites.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The guest image, or null when the run cannot happen here (see e2eSkipReason). */
    guestImage: GuestImage | null;
    /** Why the end-to-end suites skip on this machine; null when they run. */
    e2eSkipReason: string | null;
  }
}

/**
 * Builds (or reuses) the guest image once for every end-to-end suite. On a developer's machine
 * without root, QEMU or the build, the suites skip and say why; with CI=true they fail instead.
 */
export default async function setup(project: TestProject): Promise<void> {
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    const reason = `the end-to-end USB run needs: ${missing.join('; ')}`;
    if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: not skipping)`);
    process.stderr.write(`skipping: ${reason}\n`);
    project.provide('guestImage', null);
    project.provide('e2eSkipReason', reason);
    return;
  }
  const started = Date.now();
  const image = await ensureGuestImage({ log: (line) => process.stderr.write(`e2e image: ${line}\n`) });
  process.stderr.write(`e2e image: ${image.key} ready (kernel ${image.kernelVersion}) in ${Math.round((Date.now() - started) / 1000)} s\n`);
  project.provide('guestImage', image);
  project.provide('e2eSkipReason', null);
}
