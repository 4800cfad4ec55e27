import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The recipes' slow tests (`npm run test:from-source` in a recipe package): a real compile from Debian's
 * source package, then the jail — minutes, not seconds. Their default vitest config leaves this file out.
 * Like the other recipe tests (recipeTestConfig, @jailwright/core/testing/vitest-config), the jails they
 * build are recorded in a registry of their own, not the host's.
 */
export default defineConfig({
  test: {
    include: ['test/from-source.test.ts'],
    testTimeout: 40 * 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    globalSetup: [fileURLToPath(new URL('../packages/core/src/testing/registry-setup.ts', import.meta.url))],
  },
});
