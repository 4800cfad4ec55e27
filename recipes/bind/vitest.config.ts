import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compile from source runs apart: npm run test:from-source (../../scripts/from-source.vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/from-source.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // The jails the tests build go to a registry of their own (see @jailwright/core's jailwright list).
    globalSetup: ['../../packages/core/test/support/registry-setup.ts'],
  },
});
