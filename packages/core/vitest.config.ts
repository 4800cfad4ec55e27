import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Root tests build real jails under /var/tmp; run files one at a time so they never race.
    fileParallelism: false,
    globalSetup: ['src/testing/registry-setup.ts'],
  },
});
