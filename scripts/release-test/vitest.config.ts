import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The release test (`npm run test:release`): a real local registry, the real release flow in a scratch
// clone, and installs of single recipe packages from that registry. One file, run in order.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['release.test.ts'],
    testTimeout: 480_000,
    hookTimeout: 480_000,
    fileParallelism: false,
  },
});
