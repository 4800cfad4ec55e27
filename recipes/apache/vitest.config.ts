import { configDefaults, defineConfig } from 'vitest/config';

/** The slow tests that compile the service from source run apart: `npm run test:from-source`. */
export const FROM_SOURCE_TESTS = ['test/from-source.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...FROM_SOURCE_TESTS],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
