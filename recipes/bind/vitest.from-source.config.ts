import { defineConfig } from 'vitest/config';
import { FROM_SOURCE_TESTS } from './vitest.config.js';

/** A real compile from Debian's source package, then the jail: minutes, not seconds. */
export default defineConfig({
  test: {
    include: FROM_SOURCE_TESTS,
    testTimeout: 40 * 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
