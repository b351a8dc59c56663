import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The end-to-end tier (test/README.md): a real Linux kernel's USB stack under QEMU. Run with
// `npm run test:e2e:usb`; the default `npm test` never picks these files up (its projects name
// only unit/ and integration/). One suite at a time: each boots its own guest on a 2-core machine.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    // *.e2e.test.ts boot the guest; the harness's own parsers are tested alongside (harness/*.test.ts).
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    // The image build (first run only: debootstrap over the network) happens in the global setup.
    hookTimeout: 300_000,
    testTimeout: 300_000,
    // A failed step prints the guest's console, the agent's log and the collector's output itself.
    bail: 0,
  },
});
